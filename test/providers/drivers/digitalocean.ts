/**
 * The conformance driver for DigitalOcean: its loopback fake (test/fakes/digitalocean-fake.ts) seeded with the whole
 * shared customer zone (DigitalOcean holds every seed type, CAA and SRV included).
 */
import type { DigitaloceanRecord } from '../../../providers/digitalocean.js';
import { DIGITALOCEAN_FAKE_ACCOUNTS, startDigitaloceanFake, type DigitaloceanFake } from '../../fakes/digitalocean-fake.js';
import { absolute, APEX, canonicalTxt, withPriority, type ConformanceDriver, type Neutral } from '../driver.js';

/** Shaped like a personal access token (`dop_v1_` + 64 hex), unknown to the fake. */
const WRONG_TOKEN = `dop_v1_${'deadbeef00000000'.repeat(4)}`;

export function digitaloceanDriver(): ConformanceDriver {
  let fake: DigitaloceanFake | undefined;
  const running = (): DigitaloceanFake => {
    if (!fake) throw new Error('the DigitalOcean fake is not running');
    return fake;
  };
  return {
    id: 'digitalocean',
    // DigitalOcean's name servers (octodns/dnscontrol `defaultNameServerNames`), matched by nameserver-patterns.ts.
    nameservers: ['ns1.digitalocean.com', 'ns2.digitalocean.com'],
    credentials: { apiKey: DIGITALOCEAN_FAKE_ACCOUNTS.good.token },
    refused: [
      { label: 'unknown token', credentials: { apiKey: WRONG_TOKEN }, reason: 'DigitalOcean: invalid API token' },
      {
        label: 'custom-scoped token without domain scopes',
        credentials: { apiKey: DIGITALOCEAN_FAKE_ACCOUNTS.noDomainScope.token },
        reason: 'DigitalOcean: the token is not allowed to do this (a custom-scoped token needs the domain scopes)',
      },
      {
        label: 'token of a team that does not hold the domain',
        credentials: { apiKey: DIGITALOCEAN_FAKE_ACCOUNTS.otherTeam.token },
        reason: 'DigitalOcean: domain not found in this account',
      },
    ],
    faults: true,

    async start() {
      fake = await startDigitaloceanFake();
      return { DIGITALOCEAN_API_URL: fake.baseUrl };
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
      return neutralOf(wire as DigitaloceanRecord);
    },
    comparable(wire, purpose = 'apply') {
      // A re-created record gets a new id; nothing else of it may differ.
      if (purpose === 'revert') {
        const { id: _id, ...rest } = wire as DigitaloceanRecord;
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
      const record = wire as DigitaloceanRecord;
      // TXT data is stored raw (§9): a quoted value would publish the quotes.
      if (record.type === 'TXT' && /^".*"$/s.test(record.data)) return `TXT ${record.name} was written quoted: ${record.data}`;
      return undefined;
    },
  };
}

/** A DigitalOcean wire record, viewed as the suite compares records (written independently of the adapter). */
function neutralOf(r: DigitaloceanRecord): Neutral {
  const type = r.type.toUpperCase();
  const host = (data: string) => (data === '@' ? APEX : data.replace(/\.$/, ''));
  let content = r.data;
  if (type === 'CNAME' || type === 'MX' || type === 'NS') content = host(r.data);
  if (type === 'SRV') content = `${r.weight ?? 0} ${r.port ?? 0} ${host(r.data)}`;
  if (type === 'CAA') content = `${r.flags ?? 0} ${r.tag ?? ''} "${r.data}"`;
  const base = { type, name: absolute(r.name), content, ttl: r.ttl };
  return withPriority(base, type === 'MX' || type === 'SRV' ? (r.priority ?? 0) : undefined);
}
