/**
 * The conformance driver for Vultr: its loopback fake (test/fakes/vultr-fake.ts) seeded with the whole shared
 * customer zone (Vultr holds every seed type, CAA and SRV included).
 */
import type { VultrRecord } from '../../../providers/vultr.js';
import { startVultrFake, VULTR_FAKE_ACCOUNTS, type VultrFake } from '../../fakes/vultr-fake.js';
import { absolute, APEX, canonicalTxt, unquote, withPriority, type ConformanceDriver, type Neutral } from '../driver.js';

/** Shaped like a Vultr API key (36 upper-case alphanumerics), unknown to the fake. */
const WRONG_KEY = 'VULTRWRONGKEY000000000000000000000000';

export function vultrDriver(): ConformanceDriver {
  let fake: VultrFake | undefined;
  const running = (): VultrFake => {
    if (!fake) throw new Error('the Vultr fake is not running');
    return fake;
  };
  return {
    id: 'vultr',
    // Vultr's name servers (dnscontrol `providers/vultr` `defaultNS`), matched by nameserver-patterns.ts.
    nameservers: ['ns1.vultr.com', 'ns2.vultr.com'],
    credentials: { apiKey: VULTR_FAKE_ACCOUNTS.good.key },
    refused: [
      { label: 'unknown API key', credentials: { apiKey: WRONG_KEY }, reason: 'Vultr: invalid API key' },
      {
        label: "a key whose access control list does not list this server's IP",
        credentials: { apiKey: VULTR_FAKE_ACCOUNTS.ipRefused.key },
        reason: "Vultr: this server's IP address is not in the API key's access control list",
      },
      {
        label: 'a key of an account that does not hold the domain',
        credentials: { apiKey: VULTR_FAKE_ACCOUNTS.otherAccount.key },
        reason: 'Vultr: domain not found in this account',
      },
    ],
    faults: true,

    async start() {
      fake = await startVultrFake();
      return { VULTR_API_URL: fake.baseUrl };
    },
    async stop() {
      await fake?.close();
      fake = undefined;
    },
    async reset() {
      running().reset();
      running().clearFaults();
    },
    async snapshot() {
      return running().snapshot();
    },
    neutral(wire) {
      return neutralOf(wire as VultrRecord);
    },
    comparable(wire, purpose = 'apply') {
      // A re-created record gets a new id; nothing else of it may differ.
      if (purpose === 'revert') {
        const { id: _id, ...rest } = wire as VultrRecord;
        return rest;
      }
      return wire;
    },
    ...canonicalTxt,
    async add(record) {
      running().plant(record);
    },
    calls() {
      const calls = running().calls;
      return { total: calls.length, writes: calls.filter((c) => c.method !== 'GET').length };
    },
    fault(fault) {
      running().failNext(fault);
    },
    clearFaults() {
      running().clearFaults();
    },
    beforeNextWrite(action) {
      running().beforeNextWrite(action);
    },
    checkWritten(wire) {
      const record = wire as VultrRecord;
      // TXT data is one quoted string (§6); targets carry no trailing dot.
      if (record.type === 'TXT' && !/^"[^"]*"$/.test(record.data)) return `TXT ${record.name} is not one quoted string: ${record.data}`;
      if (record.type === 'CNAME' && record.data.endsWith('.')) return `CNAME ${record.name} has a trailing dot: ${record.data}`;
      return undefined;
    },
  };
}

/** A Vultr wire record, viewed as the suite compares records (written independently of the adapter). */
function neutralOf(r: VultrRecord): Neutral {
  const type = r.type.toUpperCase();
  const host = (data: string) => (data === '' || data === '@' ? APEX : data.replace(/\.$/, ''));
  let content = r.data;
  if (type === 'TXT') content = unquote(r.data);
  if (type === 'CNAME' || type === 'MX' || type === 'NS') content = host(r.data);
  if (type === 'SRV') {
    const [weight, port, target] = r.data.split(' ');
    content = `${weight} ${port} ${host(target ?? '')}`;
  }
  const base = { type, name: absolute(r.name), content, ttl: r.ttl };
  return withPriority(base, type === 'MX' || type === 'SRV' ? r.priority : undefined);
}
