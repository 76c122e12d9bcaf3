/**
 * The conformance driver for Porkbun, over its loopback fake (test/fakes/porkbun-fake.ts).
 *
 * SLOW BY DESIGN: Porkbun allows about one request a second per API key (../shared/reference/providers-registrars.md
 * §3), the fake refuses faster calls as Porkbun does, and the adapter paces itself: a dns.set of N upstream calls
 * takes at least (N − 1) seconds (a campaign apply: 1 read + 5 writes, about 5 s; a fault that needs a re-read and a
 * second send adds 2 s more, a hung attempt 40 % of the deadline). The command deadline must leave room for that:
 * `PORKBUN_FAULT_DEADLINE_MS` for the fault scenarios (the suite reads it as `faultDeadlineMs`).
 */
import { SEED_APEX } from '../../fakes/seed-zone.js';
import { PORKBUN_FAKE_ACCOUNTS, startPorkbunFake, type PorkbunFake, type PorkbunWireRecord } from '../../fakes/porkbun-fake.js';
import { quoteStrings, unquote, withPriority, type ConformanceDriver } from '../driver.js';

/** Porkbun's default name servers (dnscontrol providers/porkbun `defaultNS`; kb.porkbun.com article 63). */
const NAMESERVERS = ['curitiba.ns.porkbun.com', 'fortaleza.ns.porkbun.com'];

/**
 * The command deadline a faulted dns.set needs here: a paced read (up to 1 s after the previous command), a write
 * that hangs for 40 % of the deadline, a re-read, a resend and 4 more writes (1 s each), with the 2 s kept back for
 * a re-read after the last write: 0.4 D + 9 s ≤ D − 2 s, so D ≥ 18.3 s.
 */
export const PORKBUN_FAULT_DEADLINE_MS = 20_000;

const HOST_TARGETS = new Set(['CNAME', 'MX', 'NS', 'ALIAS']);

export function porkbunDriver(): ConformanceDriver {
  let fake: PorkbunFake | undefined;
  let initial: PorkbunWireRecord[] = [];
  const running = (): PorkbunFake => {
    if (!fake) throw new Error('the Porkbun fake is not running');
    return fake;
  };
  const good = PORKBUN_FAKE_ACCOUNTS.good;
  return {
    faultDeadlineMs: PORKBUN_FAULT_DEADLINE_MS,
    id: 'porkbun',
    nameservers: NAMESERVERS,
    credentials: { apiKey: good.apikey, apiSecret: good.secretapikey },
    refused: [
      {
        label: 'a wrong secret API key',
        credentials: { apiKey: good.apikey, apiSecret: `sk1_${'0'.repeat(64)}` },
        reason: 'Porkbun: invalid API key or secret API key',
      },
      {
        // A valid key pair, but the domain's "API ACCESS" toggle is off: ping would succeed (§3 trap 1).
        label: 'a valid key pair for a domain not opted in to API access',
        credentials: { apiKey: PORKBUN_FAKE_ACCOUNTS.optedOut.apikey, apiSecret: PORKBUN_FAKE_ACCOUNTS.optedOut.secretapikey },
        reason: 'Porkbun: API access is not enabled for this domain',
      },
    ],
    faults: true,
    async start() {
      fake = await startPorkbunFake();
      initial = fake.snapshot(SEED_APEX);
      return { PORKBUN_API_URL: fake.baseUrl };
    },
    async stop() {
      await fake?.close();
      fake = undefined;
    },
    async reset() {
      const f = running();
      f.state.zones.set(SEED_APEX, structuredClone(initial));
      f.clearFaults();
    },
    snapshot: async () => running().snapshot(SEED_APEX),
    neutral(wire) {
      const r = wire as PorkbunWireRecord;
      const type = r.type.toUpperCase();
      const content = HOST_TARGETS.has(type) ? r.content.toLowerCase().replace(/\.$/, '') : type === 'TXT' ? unquote(r.content) : r.content;
      const priority = type === 'MX' || type === 'SRV' ? Number(r.prio) : undefined;
      return withPriority({ type, name: r.name.toLowerCase().replace(/\.$/, ''), content, ttl: Number(r.ttl) }, priority);
    },
    comparable(wire, purpose) {
      // A record a revert re-creates gets a new id (ids are Porkbun's, never chosen by the caller).
      if (purpose !== 'revert') return wire;
      const { id: _id, ...rest } = wire as PorkbunWireRecord;
      return rest;
    },
    async add(record) {
      running().add(record, SEED_APEX);
    },
    // Porkbun stores a TXT content as entered (§3 wire format; the gateway sends it joined and unquoted): a customer
    // may have typed it in quotes, or in quoted strings.
    txtAsEntered: (strings, style) => quoteStrings(style === 'plain' ? [strings.join('')] : strings),
    async seedRawTxt(name, content, wire) {
      const holds = () => running().state.zones.get(SEED_APEX)!.find((r) => r.type === 'TXT' && r.name.toLowerCase() === name && unquote(r.content) === content);
      if (!holds()) await this.add({ type: 'TXT', name, content, ttl: 3600 });
      Object.assign(holds()!, { content: wire as string });
    },
    calls() {
      const calls = running().calls;
      return { total: calls.length, writes: calls.filter((c) => c.write).length };
    },
    fault: (fault) => running().failNext(fault),
    clearFaults: () => running().clearFaults(),
    beforeNextWrite: (action) => running().beforeNextWrite(action),
    checkWritten(wire) {
      const r = wire as PorkbunWireRecord;
      // Written with a TTL Porkbun keeps (600 or more), never an FQDN name doubled onto the zone.
      if (Number(r.ttl) < 600) return `${r.type} ${r.name} was written with TTL ${r.ttl}`;
      if (r.name.endsWith(`.${SEED_APEX}.${SEED_APEX}`)) return `${r.type} ${r.name} was written with a full name`;
      return undefined;
    },
  };
}
