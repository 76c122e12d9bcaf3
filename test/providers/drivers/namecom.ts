/**
 * The conformance driver for Name.com: its loopback fake (test/fakes/namecom-fake.ts) seeded with the shared customer
 * zone minus CAA (Name.com holds none), TTLs under 300 held at 300. The fake's account-wide 20-a-second limit is off
 * here: the suite counts calls exactly, and its rate-limit scenario serves Name.com's 429 as a fault.
 */
import type { NamecomRecord } from '../../../providers/namecom.js';
import { NAMECOM_FAKE_ACCOUNTS, startNamecomFake, type NamecomFake } from '../../fakes/namecom-fake.js';
import { APEX, canonicalTxt, unquote, withPriority, type ConformanceDriver, type Neutral } from '../driver.js';

const GOOD = NAMECOM_FAKE_ACCOUNTS.good;
/** Shaped like a Name.com API token (40 hex characters), unknown to the fake. */
const WRONG_TOKEN = '0000000000000000000000000000000000000bad';

export function namecomDriver(): ConformanceDriver {
  let fake: NamecomFake | undefined;
  const running = (): NamecomFake => {
    if (!fake) throw new Error('the Name.com fake is not running');
    return fake;
  };
  return {
    id: 'namecom',
    // Name.com's name servers (dnscontrol `providers/namedotcom/nameservers.go`), matched by nameserver-patterns.ts.
    nameservers: ['ns1.name.com', 'ns2.name.com'],
    credentials: { apiKey: GOOD.token, apiUser: GOOD.username },
    refused: [
      { label: 'unknown API token', credentials: { apiKey: WRONG_TOKEN, apiUser: GOOD.username }, reason: 'Name.com: invalid username or API token' },
      {
        label: 'an account with two-step verification',
        credentials: { apiKey: NAMECOM_FAKE_ACCOUNTS.twoStep.token, apiUser: NAMECOM_FAKE_ACCOUNTS.twoStep.username },
        reason:
          'Name.com: the username and API token were refused (Permission Denied): the API does not work for an account with two-step verification turned on, and API access must be enabled for the account',
      },
      {
        label: 'an account that does not hold the domain',
        credentials: { apiKey: NAMECOM_FAKE_ACCOUNTS.otherAccount.token, apiUser: NAMECOM_FAKE_ACCOUNTS.otherAccount.username },
        reason: 'Name.com: domain not found in this account',
      },
    ],
    faults: true,

    async start() {
      fake = await startNamecomFake({ limits: false });
      return { NAMECOM_API_URL: fake.baseUrl };
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
      return neutralOf(wire as NamecomRecord);
    },
    comparable(wire, purpose = 'apply') {
      // A re-created record gets a new id; nothing else of it may differ.
      if (purpose === 'revert') {
        const { id: _id, ...rest } = wire as NamecomRecord;
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
      const record = wire as NamecomRecord;
      // TXT goes out joined and unquoted (§6 "Wire format"); targets carry no trailing dot.
      if (record.type === 'TXT' && record.answer.startsWith('"')) return `TXT ${record.fqdn} was written quoted: ${record.answer}`;
      if (record.type === 'CNAME' && record.answer.endsWith('.')) return `CNAME ${record.fqdn} has a trailing dot: ${record.answer}`;
      return undefined;
    },
  };
}

/** A Name.com wire record, viewed as the suite compares records (written independently of the adapter). */
function neutralOf(r: NamecomRecord): Neutral {
  const type = r.type.toUpperCase();
  const host = (answer: string) => (answer === '' || answer === '@' ? APEX : answer.replace(/\.$/, ''));
  let content = r.answer;
  if (type === 'TXT') content = unquote(r.answer);
  if (type === 'CNAME' || type === 'ANAME' || type === 'MX' || type === 'NS') content = host(r.answer);
  if (type === 'SRV') {
    const [weight, port, target] = r.answer.split(' ');
    content = `${weight} ${port} ${host(target ?? '')}`;
  }
  const base = { type, name: r.fqdn.replace(/\.$/, '').toLowerCase(), content, ttl: r.ttl };
  return withPriority(base, type === 'MX' || type === 'SRV' ? (r.priority ?? 0) : undefined);
}
