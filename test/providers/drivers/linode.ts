/**
 * Conformance driver for Linode over its loopback fake (test/fakes/linode-fake.ts). One wire item is one Linode
 * record; the neutral view is worked out here from Linode's fields, independently of the adapter.
 */
import type { LinodeRecord } from '../../../providers/linode.js';
import { LINODE_FAKE_TOKENS, linodeFields, startLinodeFake, type LinodeFake, type LinodeFault } from '../../fakes/linode-fake.js';
import { absolute, APEX, canonicalTxt, withPriority, type ConformanceDriver, type ConformanceFault, type Neutral } from '../driver.js';

/** OpenAPI `Domain.ttl_sec`: 0 is the default, 86400; the seed domain has 0. */
const DOMAIN_DEFAULT_TTL = 86_400;

export function linodeDriver(): ConformanceDriver {
  let fake: LinodeFake | undefined;
  const running = (): LinodeFake => {
    if (!fake) throw new Error('the Linode fake is not started');
    return fake;
  };
  const target = (t: string) => t.replace(/\.$/, '').toLowerCase();

  return {
    id: 'linode',
    // Linode's name servers (dnscontrol `defaultNameServerNames`); src/detection/nameserver-patterns.ts matches them.
    nameservers: ['ns1.linode.com', 'ns2.linode.com'],
    credentials: { apiKey: LINODE_FAKE_TOKENS.good.token },
    refused: [
      { label: 'unknown token', credentials: { apiKey: 'lnTOKENwrong9f8e7d6c5b4a3928170f6e5d4c3b2a1908f7e6d5c4b3a291807f6e5' }, reason: 'Linode: invalid personal access token' },
      { label: 'token without the Domains scope', credentials: { apiKey: LINODE_FAKE_TOKENS.noDomains.token }, reason: 'Linode: the personal access token lacks Domains read/write access' },
      { label: 'token of another account', credentials: { apiKey: LINODE_FAKE_TOKENS.otherAccount.token }, reason: 'Linode: domain not found in this account' },
    ],
    faults: true,

    async start() {
      fake = await startLinodeFake();
      return { LINODE_API_URL: fake.baseUrl };
    },
    async stop() {
      await fake?.close();
      fake = undefined;
    },
    async reset() {
      const f = running();
      f.clearFaults();
      f.setBehaviour({ ttlIgnoredOnCreate: false });
      f.resetZone();
    },
    async snapshot() {
      return running().snapshot();
    },
    neutral(wire: unknown): Neutral {
      const r = wire as LinodeRecord;
      const owner = r.type === 'SRV' && !r.name && r.service && r.protocol ? `${r.service}.${r.protocol}` : r.name;
      const base = { type: r.type, name: absolute(owner), ttl: r.ttl_sec || DOMAIN_DEFAULT_TTL };
      switch (r.type) {
        case 'CNAME':
        case 'NS':
          return { ...base, content: target(r.target) };
        case 'MX':
          return withPriority({ ...base, content: target(r.target) }, r.priority ?? 0);
        case 'SRV':
          return withPriority({ ...base, content: `${r.weight ?? 0} ${r.port ?? 0} ${target(r.target)}` }, r.priority ?? 0);
        case 'CAA':
          return { ...base, content: `0 ${r.tag} "${r.target}"` };
        default:
          return { ...base, content: r.target };
      }
    },
    // A correct write leaves every other record as it was, field for field. A re-created record has a new id and
    // timestamps, and a record written back by a revert a new `updated`.
    comparable(wire, purpose) {
      if (purpose !== 'revert') return wire;
      const { id: _id, created: _created, updated: _updated, ...rest } = wire as LinodeRecord;
      return rest;
    },
    ...canonicalTxt,
    async add(record) {
      running().plant(linodeFields(record, APEX));
    },
    calls() {
      const calls = running().calls;
      return { total: calls.length, writes: calls.filter((c) => c.method !== 'GET').length };
    },
    fault(fault: ConformanceFault) {
      const f = running();
      const times = 'times' in fault ? (fault.times ?? 1) : 1;
      const failure: LinodeFault =
        fault.kind === 'echo-credentials' ? { kind: 'echo-credentials', on: 'any' }
        : fault.kind === 'server-error' ? { kind: 'status', status: 500, on: fault.on, times }
        : fault.kind === 'rate-limited' ? { kind: 'rate-limited', on: fault.on, retryAfterSeconds: fault.retryAfterSeconds }
        : fault.kind === 'hang' ? { kind: 'hang', on: fault.on, times }
        : fault.kind === 'reset' ? { kind: 'reset', on: fault.on }
        : fault.kind === 'malformed' ? { kind: 'malformed', on: 'read' }
        : { kind: 'lost-reply', on: 'write' };
      f.failNext(failure);
    },
    clearFaults() {
      running().clearFaults();
    },
    beforeNextWrite(action) {
      running().beforeNextWrite(action);
    },
    checkWritten(wire: unknown) {
      const r = wire as LinodeRecord;
      // dnscontrol `fixTarget`: fully qualified without the dot; TXT raw, never quoted (§9).
      if ((r.type === 'CNAME' || r.type === 'MX') && r.target.endsWith('.')) return `${r.type} target with a trailing dot: ${r.target}`;
      if (r.type === 'TXT' && /^".*"$/.test(r.target)) return `TXT written quoted: ${r.target}`;
      return undefined;
    },
  };
}
