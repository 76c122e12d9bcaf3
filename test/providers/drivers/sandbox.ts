/** The sandbox's conformance driver: its zone lives in the gateway's own store; its "upstream" is the store. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { DesiredRecord } from '../../../providers/types.js';
import type { SandboxRecordRow, SandboxWrite, Store } from '../../../src/storage/store.js';
import { seedRecords } from '../../fakes/seed-zone.js';
import { APEX, canonicalTxt, withPriority, type ConformanceDriver } from '../driver.js';

export function sandboxDriver(): ConformanceDriver {
  let store: Store;
  // The conformance suite writes with the gateway's admin key: the sandbox zone of its account.
  let account: string;
  let writes = 0;
  let hook: (() => void | Promise<void>) | undefined;
  const row = (record: DesiredRecord): SandboxWrite => ({
    op: 'insert',
    id: randomUUID(),
    record: { type: record.type, name: record.name, content: record.content, ttl: record.ttl, priority: record.priority ?? null },
  });
  const seed = async () => {
    const current = await store.readSandboxZone(account, APEX);
    await store.applySandboxWrites(account, APEX, [...current.map((r): SandboxWrite => ({ op: 'delete', id: r.id })), ...seedRecords().map(row)]);
  };
  return {
    id: 'sandbox',
    nameservers: [],
    credentials: { apiKey: `sbx-${randomBytes(12).toString('hex')}` },
    refused: [],
    faults: false,
    start: async () => ({}),
    attach(gateway) {
      store = gateway.running.services.store;
      account = gateway.adminAccount;
      const apply = store.applySandboxWrites.bind(store);
      // Counts the provider's writes (and runs a second writer's edit first, when one is queued); the real store
      // still does them.
      store.applySandboxWrites = async (owner, zone, list) => {
        writes++;
        const action = hook;
        hook = undefined;
        await action?.();
        return apply(owner, zone, list);
      };
    },
    stop: async () => {},
    async reset() {
      hook = undefined;
      const counted = writes;
      await seed();
      writes = counted;
    },
    snapshot: () => store.readSandboxZone(account, APEX),
    neutral(wire) {
      const r = wire as SandboxRecordRow;
      return withPriority({ type: r.type, name: r.name, content: r.content, ttl: r.ttl }, r.priority ?? undefined);
    },
    // A re-created row gets a new id.
    comparable(wire, purpose) {
      if (purpose !== 'revert') return wire;
      const { id: _id, ...rest } = wire as SandboxRecordRow;
      return rest;
    },
    ...canonicalTxt,
    async add(record) {
      const counted = writes;
      await store.applySandboxWrites(account, APEX, [row(record)]);
      writes = counted;
    },
    calls: () => ({ total: undefined, writes }),
    fault: () => {},
    clearFaults() {
      hook = undefined;
    },
    beforeNextWrite(action) {
      hook = action;
    },
  };
}
