/**
 * Google Cloud DNS adapter against its loopback fake (no gateway): the key file and the token grant, the token
 * cache, zone lookup, reading every page, the one atomic change with exact deletions, the TXT quoting trap, the
 * stale-write refusal (412) and the lost reply, error mapping, and that no credential reaches a message.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { request, type Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  buildChange,
  createGoogleCloudProvider,
  googleApiError,
  GOOGLE_DNS_SCOPE,
  judgeChange,
  parseServiceAccountKey,
  recordsFromRrset,
  tokenError,
  toRrdata,
  type GoogleChange,
  type GoogleRrset,
} from '../../providers/googlecloud.js';
import { createHttpAgent, type HttpReply } from '../../providers/http.js';
import { ProviderError, type DnsProvider, type DnsRecord, type ProviderCredentials, type RecordChange } from '../../providers/types.js';
import { FAKE_ACCOUNTS, FAKE_PROJECT, fakeKeyFile, fakeKeyPairs, startGoogleCloudFake, type FakeRrset, type GoogleFake } from '../fakes/googlecloud-fake.js';
import { LONG_DKIM_TXT, SEED_APEX, seedRecords } from '../fakes/seed-zone.js';

const GOOD: ProviderCredentials = { apiKey: FAKE_PROJECT, apiSecret: fakeKeyFile('writer') };
const ZONE = { name: SEED_APEX, id: 'example-com' };
const QUOTED_TXT = /^"(?:[^"\\]|\\.)*"(?: "(?:[^"\\]|\\.)*")*$/;

let fake: GoogleFake;
let agent: Agent;
let sleeps: number[];

beforeEach(async () => {
  fake = await startGoogleCloudFake();
  agent = createHttpAgent({ keepAliveTimeoutMs: 100 });
  sleeps = [];
});

afterEach(async () => {
  vi.useRealTimers();
  await agent.close();
  await fake.close();
});

function provider(options: { pageSize?: number; deadlineMs?: number; tokenCacheSize?: number } = {}): DnsProvider {
  return createGoogleCloudProvider({
    baseUrl: fake.apiUrl,
    tokenUrl: fake.tokenUrl,
    dispatcher: agent,
    sleep: async (ms) => void sleeps.push(ms),
    ...options,
  });
}

/** Every value of the caller's credentials, and what is derived from them, that must never reach a message. */
function secretsOf(credentials: ProviderCredentials): string[] {
  const out = [credentials.apiKey, credentials.apiSecret ?? '', ...fake.issuedTokens()];
  try {
    const key = JSON.parse(credentials.apiSecret ?? '') as Record<string, string>;
    const pem = key.private_key ?? '';
    out.push(pem, JSON.stringify(pem).slice(1, -1), key.client_email ?? '', key.private_key_id ?? '');
    // Every base64 line of the key's body.
    out.push(...pem.split('\n').filter((line) => line.length > 40));
  } catch {
    /* not JSON */
  }
  for (const call of fake.calls) if (call.grant) out.push(new URLSearchParams(String(call.body)).get('assertion') ?? '');
  return out.filter((s) => s.length >= 8);
}

async function providerError(promise: Promise<unknown>, credentials: ProviderCredentials = GOOD): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  const pe = error as ProviderError;
  for (const secret of secretsOf(credentials)) {
    expect(pe.message, 'a credential leaks into the message').not.toContain(secret);
  }
  return pe;
}

const api = () => fake.calls.filter((c) => !c.grant);
const grants = () => fake.calls.filter((c) => c.grant);
const posts = () => api().filter((c) => c.method === 'POST');
const neutral = (r: DnsRecord) => ({ type: r.type, name: r.name, content: r.content, ttl: r.ttl, ...(r.priority === undefined ? {} : { priority: r.priority }) });
const byJson = <T>(list: readonly T[]) => [...list].map((x) => JSON.stringify(x)).sort();
/** The seed as Google holds it: one TTL per rrset, the first record's (the backup MX joins the apex MX rrset). */
function seedAsHeld() {
  const first = new Map<string, number>();
  return seedRecords().map((r) => {
    const key = `${r.name}|${r.type}`;
    if (!first.has(key)) first.set(key, r.ttl);
    return { ...r, ttl: first.get(key)! };
  });
}
const rrset = (name: string, type: string) => fake.zone().rrsets.find((r) => r.name === name && r.type === type);

async function readSeed(session = provider().connect(GOOD)) {
  const zone = await session.findZone(SEED_APEX);
  const contents = await session.readZone(zone);
  const find = (type: string, name: string, prefix = '') => contents.records.find((r) => r.type === type && r.name === name && r.content.startsWith(prefix))!;
  return { session, zone, contents, find };
}

// ------------------------------------------------------------------------------------------------ normaliser

describe('wire form', () => {
  it('writes TXT as quoted ≤255-byte strings with " and \\ escaped, targets as FQDNs with the dot', () => {
    expect(toRrdata({ type: 'TXT', name: 'x.example.com', content: 'v=spf1 include:a.example -all', ttl: 300 })).toBe('"v=spf1 include:a.example -all"');
    expect(toRrdata({ type: 'TXT', name: 'x.example.com', content: 'say "hi" \\ bye', ttl: 300 })).toBe('"say \\"hi\\" \\\\ bye"');
    const long = toRrdata({ type: 'TXT', name: 'x.example.com', content: LONG_DKIM_TXT, ttl: 300 });
    const chunks = [...long.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
    expect(chunks.length).toBe(2);
    expect(Buffer.byteLength(chunks[0]!)).toBe(255);
    expect(chunks.join('')).toBe(LONG_DKIM_TXT);
    expect(toRrdata({ type: 'CNAME', name: 'a.example.com', content: 'dkim.esp.example.net', ttl: 300 })).toBe('dkim.esp.example.net.');
    expect(toRrdata({ type: 'CNAME', name: 'a.example.com', content: 'dkim.esp.example.net.', ttl: 300 })).toBe('dkim.esp.example.net.');
    expect(toRrdata({ type: 'MX', name: 'example.com', content: 'mx.example.net', ttl: 300, priority: 5 })).toBe('5 mx.example.net.');
    expect(toRrdata({ type: 'SRV', name: '_sip._tcp.example.com', content: '10 5060 sip.example.com', ttl: 300, priority: 1 })).toBe('1 10 5060 sip.example.com.');
  });

  it('reads rrdatas into the neutral form and keeps the rrset and the rrdata in raw', () => {
    const set: GoogleRrset = { kind: 'dns#resourceRecordSet', name: 'Example.COM.', type: 'TXT', ttl: 300, rrdatas: ['"v=spf1 " "-all"', '"a \\"q\\" \\\\b"'] };
    const records = recordsFromRrset(set);
    expect(records.map(neutral)).toEqual([
      { type: 'TXT', name: 'example.com', content: 'v=spf1 -all', ttl: 300 },
      { type: 'TXT', name: 'example.com', content: 'a "q" \\b', ttl: 300 },
    ]);
    expect(records[1]!.raw).toEqual({ rrset: set, rrdata: '"a \\"q\\" \\\\b"' });
    expect(recordsFromRrset({ name: 'example.com.', type: 'MX', ttl: 60, rrdatas: ['10 mx.example.net.'] }).map(neutral)).toEqual([
      { type: 'MX', name: 'example.com', content: 'mx.example.net', ttl: 60, priority: 10 },
    ]);
    expect(recordsFromRrset({ name: '_sip._tcp.example.com.', type: 'SRV', ttl: 60, rrdatas: ['10 5 5060 sip.example.com.'] }).map(neutral)).toEqual([
      { type: 'SRV', name: '_sip._tcp.example.com', content: '5 5060 sip.example.com', ttl: 60, priority: 10 },
    ]);
    expect(recordsFromRrset({ name: 'www.example.com.', type: 'A', ttl: 60, routingPolicy: { geo: {} } })).toEqual([]);
  });

  it('the fake splits an unquoted TXT value at its spaces, as Google does: the adapter never sends one', async () => {
    const token = await grantToken();
    const body = { additions: [{ name: `u.${SEED_APEX}.`, type: 'TXT', ttl: 300, rrdatas: ['v=spf1 include:x.example -all'] }] };
    const reply = await request(`${fake.apiUrl}/projects/${FAKE_PROJECT}/managedZones/example-com/changes`, {
      dispatcher: agent,
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await reply.body.text();
    expect(reply.statusCode).toBe(200);
    expect(rrset(`u.${SEED_APEX}.`, 'TXT')?.rrdatas).toEqual(['"v=spf1" "include:x.example" "-all"']);
  });
});

/** A token straight from the fake's token endpoint, as the adapter would get it. */
async function grantToken(): Promise<string> {
  await provider().connect(GOOD).findZone(SEED_APEX);
  const token = fake.issuedTokens()[0];
  if (!token) throw new Error('no token issued');
  return token;
}

// ------------------------------------------------------------------------------------------------ credentials

describe('the key file and the token grant', () => {
  it('signs an RS256 JWT (iss, scope, aud = the configured token URL, 1 h, kid) and POSTs it as a jwt-bearer grant', async () => {
    await provider().connect(GOOD).findZone(SEED_APEX);
    expect(grants()).toHaveLength(1);
    const grant = grants()[0]!;
    expect([grant.method, grant.status]).toEqual(['POST', 200]);
    const form = new URLSearchParams(String(grant.body));
    expect(form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    const assertion = form.get('assertion')!;
    expect(decodeProtectedHeader(assertion)).toMatchObject({ alg: 'RS256', kid: FAKE_ACCOUNTS.writer.keyId });
    const claims = decodeJwt(assertion);
    expect(claims).toMatchObject({ iss: FAKE_ACCOUNTS.writer.email, scope: GOOGLE_DNS_SCOPE, aud: fake.tokenUrl });
    expect(claims.exp! - claims.iat!).toBe(3600);
    expect(Math.abs(claims.iat! - Date.now() / 1000)).toBeLessThan(60);
  });

  it("never sends the assertion to the key file's token_uri: only to the configured token URL", async () => {
    const elsewhere: { method?: string; url?: string }[] = [];
    const decoy: Server = createServer((req, res) => {
      elsewhere.push({ method: req.method, url: req.url });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"stolen","expires_in":3600,"token_type":"Bearer"}');
    });
    await new Promise<void>((resolve) => decoy.listen(0, '127.0.0.1', resolve));
    try {
      const decoyUrl = `http://127.0.0.1:${(decoy.address() as AddressInfo).port}/token`;
      const credentials = { apiKey: FAKE_PROJECT, apiSecret: fakeKeyFile('writer', { token_uri: decoyUrl }) };
      await expect(provider().connect(credentials).authorize(SEED_APEX)).resolves.toEqual(ZONE);
      expect(elsewhere).toEqual([]);
      expect(grants()).toHaveLength(1);
      expect(decodeJwt(new URLSearchParams(String(grants()[0]!.body)).get('assertion')!).aud).toBe(fake.tokenUrl);
    } finally {
      await new Promise<void>((resolve) => decoy.close(() => resolve()));
    }
  });

  it.each([
    ['not JSON', '{"type":"service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIE', 'the service-account key file (ApiSecret) is not valid JSON'],
    ['a JSON array', '[1,2]', 'the service-account key file (ApiSecret) is not a JSON object'],
    ['no client_email', fakeKeyFile('writer', { client_email: undefined }), 'the service-account key file has no valid client_email'],
    ['no private_key', fakeKeyFile('writer', { private_key: '' }), 'the service-account key file has no private_key'],
    ['an OAuth client file', fakeKeyFile('writer', { type: 'authorized_user' }), 'ApiSecret is not a service-account key file (its "type" is not "service_account")'],
    [
      'a PKCS #1 key',
      fakeKeyFile('writer', { private_key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString() }),
      'the private_key of the key file is not a PKCS #8 RSA private key',
    ],
    [
      'an EC key',
      fakeKeyFile('writer', { private_key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }),
      'the private_key of the key file is not a PKCS #8 RSA private key',
    ],
    ['a PEM with a broken body', fakeKeyFile('writer', { private_key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }), 'the private_key of the key file is not a PKCS #8 RSA private key'],
  ])('refuses a key file that is %s before any call, without quoting it', async (_label, apiSecret, reason) => {
    const credentials = { apiKey: FAKE_PROJECT, apiSecret };
    const error = await providerError(provider().connect(credentials).authorize(SEED_APEX), credentials);
    expect([error.kind, error.reason]).toEqual(['auth', reason]);
    expect(error.message).not.toContain('BEGIN');
    expect(error.message).not.toContain('MII');
    expect(fake.calls).toHaveLength(0);
  });

  it('parses a good key file', async () => {
    const key = await parseServiceAccountKey(GOOD.apiSecret);
    expect([key.clientEmail, key.privateKeyId]).toEqual([FAKE_ACCOUNTS.writer.email, FAKE_ACCOUNTS.writer.keyId]);
  });

  it('maps a deleted (rotated) key to auth: the fake checks the signature with the public key', async () => {
    const credentials = { apiKey: FAKE_PROJECT, apiSecret: fakeKeyFile('rotated') };
    const error = await providerError(provider().connect(credentials).authorize(SEED_APEX), credentials);
    expect(error.kind).toBe('auth');
    expect(error.reason).toBe('the service-account key was refused (Invalid JWT Signature): it was deleted or rotated, or client_email does not match it');
    expect(grants().map((c) => c.status)).toEqual([400]);
    expect(api()).toHaveLength(0);
  });

  it("refuses a key signed by another private key under the writer's key id (a forged key file)", async () => {
    const forged = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const credentials = { apiKey: FAKE_PROJECT, apiSecret: fakeKeyFile('writer', { private_key: forged }) };
    const error = await providerError(provider().connect(credentials).authorize(SEED_APEX), credentials);
    expect(error.kind).toBe('auth');
    expect(error.reason).toContain('Invalid JWT Signature');
  });

  it('maps an unknown service account to auth', async () => {
    fake.state.accounts.splice(0, fake.state.accounts.length);
    const error = await providerError(provider().connect(GOOD).authorize(SEED_APEX));
    expect([error.kind, error.reason]).toEqual(['auth', 'the service account does not exist or is disabled']);
  });

  it('maps a service account of another project to forbidden, and an unknown project to auth', async () => {
    const outsider = { apiKey: FAKE_PROJECT, apiSecret: fakeKeyFile('outsider') };
    const forbidden = await providerError(provider().connect(outsider).authorize(SEED_APEX), outsider);
    expect(forbidden.kind).toBe('forbidden');
    const unknown = { apiKey: 'no-such-project-000', apiSecret: GOOD.apiSecret };
    const auth = await providerError(provider().connect(unknown).authorize(SEED_APEX), unknown);
    expect([auth.kind, auth.reason]).toEqual(['auth', 'project not found: check the project id (ApiKey)']);
    const bad = await providerError(provider().connect({ ...GOOD, apiKey: 'a/b' }).findZone(SEED_APEX), { ...GOOD, apiKey: 'a/b' });
    expect(bad.kind).toBe('auth');
  });

  it('scrubs the token, the project and the key from a 401 that echoes them (fresh token: auth, no second grant)', async () => {
    fake.failNext({ kind: 'echo-credentials', on: 'api' });
    const error = await providerError(provider().connect(GOOD).findZone(SEED_APEX));
    expect(error.kind).toBe('auth');
    expect(grants()).toHaveLength(1);
    expect(api().map((c) => c.status)).toEqual([401]);
  });

  it('scrubs the assertion and the account from a token refusal that echoes them', async () => {
    fake.failNext({ kind: 'echo-credentials', on: 'token' });
    const error = await providerError(provider().connect(GOOD).findZone(SEED_APEX));
    expect(error.kind).toBe('auth');
    expect(error.reason).toContain('[redacted]');
    expect(error.reason).not.toContain('eyJ');
  });
});

describe('the token cache', () => {
  it('grants once per key file and reuses the token across commands; another key file gets its own', async () => {
    const p = provider();
    await p.connect(GOOD).findZone(SEED_APEX);
    await p.connect(GOOD).findZone(SEED_APEX);
    expect(grants()).toHaveLength(1);
    const outsider = { apiKey: 'other-project-902', apiSecret: fakeKeyFile('outsider') };
    await expect(p.connect(outsider).findZone('empty-zone.com')).rejects.toThrow(ProviderError);
    expect(grants()).toHaveLength(2);
    await p.connect(GOOD).findZone(SEED_APEX);
    expect(grants()).toHaveLength(2);
  });

  it('renews a token shortly before it expires', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const p = provider();
    await p.connect(GOOD).findZone(SEED_APEX);
    vi.setSystemTime(Date.now() + 3599_000 - 400_000); // more than five minutes left: kept
    await p.connect(GOOD).findZone(SEED_APEX);
    expect(grants()).toHaveLength(1);
    vi.setSystemTime(Date.now() + 200_000); // under five minutes left: renewed
    await p.connect(GOOD).findZone(SEED_APEX);
    expect(grants()).toHaveLength(2);
  });

  it('keeps at most tokenCacheSize tokens', async () => {
    const p = provider({ tokenCacheSize: 1 });
    const outsider = { apiKey: 'other-project-902', apiSecret: fakeKeyFile('outsider') };
    await p.connect(GOOD).findZone(SEED_APEX);
    await p.connect(outsider).findZone('empty-zone.com').catch(() => undefined);
    await p.connect(GOOD).findZone(SEED_APEX);
    expect(grants()).toHaveLength(3);
  });

  it('drops a cached token the API refuses (401) and grants once more', async () => {
    const p = provider();
    await p.connect(GOOD).findZone(SEED_APEX);
    fake.revokeTokens();
    await expect(p.connect(GOOD).findZone(SEED_APEX)).resolves.toEqual(ZONE);
    expect(grants()).toHaveLength(2);
    expect(api().map((c) => c.status)).toEqual([200, 401, 200]);
  });

  it('reports auth when the token just granted is refused too', async () => {
    const p = provider();
    await p.connect(GOOD).findZone(SEED_APEX);
    fake.revokeTokens();
    fake.failNext({ kind: 'echo-credentials', on: 'api', times: 2 });
    const error = await providerError(p.connect(GOOD).findZone(SEED_APEX));
    expect([error.kind, error.reason]).toEqual(['auth', 'the access token was refused (Invalid Credentials)']);
    expect(grants()).toHaveLength(2);
  });
});

// ------------------------------------------------------------------------------------------------ zones

describe('findZone and authorize', () => {
  it('walks up from the domain to the registrable domain and picks the public zone, never the private twin', async () => {
    const session = provider().connect(GOOD);
    await expect(session.findZone('Mail.Example.com.')).resolves.toEqual(ZONE);
    expect(api().map((c) => `${c.method} ${c.path} ${c.query.dnsName}`)).toEqual([
      `GET /dns/v1/projects/${FAKE_PROJECT}/managedZones mail.example.com.`,
      `GET /dns/v1/projects/${FAKE_PROJECT}/managedZones example.com.`,
    ]);
  });

  it('authorize = the zone lookup and one rrsets page of one record', async () => {
    await expect(provider().connect(GOOD).authorize(SEED_APEX)).resolves.toEqual(ZONE);
    expect(api().map((c) => `${c.path.split('/').at(-1)} ${JSON.stringify(c.query)}`)).toEqual([
      'managedZones {"dnsName":"example.com."}',
      'rrsets {"maxResults":"1"}',
    ]);
  });

  it('not_found when there is no zone, or only a private one', async () => {
    const none = await providerError(provider().connect(GOOD).findZone('not-mine.com'));
    expect([none.kind, none.reason]).toEqual(['not_found', 'no public zone for this domain in this project']);
    const zones = fake.state.projects.get(FAKE_PROJECT)!.zones;
    zones.splice(zones.findIndex((z) => z.name === 'example-com'), 1);
    const privateOnly = await providerError(provider().connect(GOOD).findZone(SEED_APEX));
    expect([privateOnly.kind, privateOnly.reason]).toEqual(['not_found', 'the project has only a private zone for this domain; a public zone is needed']);
  });

  it('refuses two public zones of one name', async () => {
    fake.state.projects.get(FAKE_PROJECT)!.zones.push({ name: 'example-com-2', dnsName: `${SEED_APEX}.`, id: '42', visibility: 'public', rrsets: [] });
    const error = await providerError(provider().connect(GOOD).findZone(SEED_APEX));
    expect(error.kind).toBe('rejected');
    expect(error.reason).toContain('2 public zones named example.com');
  });

  it('maps a zone that vanished (404 managedZone) to not_found', async () => {
    const error = await providerError(provider().connect(GOOD).readZone({ name: SEED_APEX, id: 'gone-zone' }));
    expect([error.kind, error.reason]).toEqual(['not_found', 'zone not found in this project']);
  });
});

// ------------------------------------------------------------------------------------------------ reading

describe('readZone', () => {
  it('reads the whole seed zone back equal to the seed (as Google holds it), in one page, raw kept', async () => {
    const { contents } = await readSeed();
    expect(api()).toHaveLength(2);
    expect(byJson(contents.records.map(neutral))).toEqual(byJson(seedAsHeld()));
    expect(contents.records.find((r) => r.name === `google._domainkey.${SEED_APEX}`)?.content).toBe(LONG_DKIM_TXT);
    for (const r of contents.records) expect((r.raw as { rrset: FakeRrset }).rrset.rrdatas).toContain((r.raw as { rrdata: string }).rrdata);
  });

  it('pages with pageToken until there is no nextPageToken', async () => {
    const session = provider({ pageSize: 7 }).connect(GOOD);
    const { records } = await session.readZone(ZONE);
    const reads = api().filter((c) => c.path.endsWith('/rrsets'));
    expect(reads.length).toBe(Math.ceil(fake.zone().rrsets.length / 7));
    expect(reads[0]!.query).toEqual({ maxResults: '7' });
    expect(reads[1]!.query.pageToken).toBeTruthy();
    expect(byJson(records.map(neutral))).toEqual(byJson(seedAsHeld()));
  });

  it("pages at the server's own page size too", async () => {
    fake.setOptions({ pageSize: 10 });
    const { records } = await provider().connect(GOOD).readZone(ZONE);
    expect(api().length).toBe(Math.ceil(fake.zone().rrsets.length / 10));
    expect(records).toHaveLength(seedRecords().length);
  });

  it('honours Retry-After on a 429, and retries a 503', async () => {
    fake.failNext({ kind: 'rate-limited', on: 'read', retryAfterSeconds: 3 });
    fake.failNext({ kind: 'server-error', on: 'read', status: 503 });
    const { records } = await provider().connect(GOOD).readZone(ZONE);
    expect(records).toHaveLength(seedRecords().length);
    expect(api().map((c) => c.status)).toEqual([429, 503, 200]);
    expect(sleeps[0]).toBe(3000);
    expect(sleeps).toHaveLength(2);
  });

  it('reports rate_limited with the retry signal when the quota stays exhausted', async () => {
    fake.failNext({ kind: 'rate-limited', on: 'read', retryAfterSeconds: 2, times: 'always' });
    const error = await providerError(provider().connect(GOOD).readZone(ZONE));
    expect([error.kind, error.retryAfterSeconds]).toEqual(['rate_limited', 2]);
    expect(api().length).toBe(4);
  });

  it('retries a read that hangs, within the deadline', async () => {
    fake.failNext({ kind: 'hang', on: 'read' });
    const { records } = await provider({ deadlineMs: 3000 }).connect(GOOD).readZone(ZONE);
    expect(records).toHaveLength(seedRecords().length);
  });

  it('reports a malformed reply as protocol', async () => {
    await grantToken();
    fake.failNext({ kind: 'malformed', on: 'read' });
    const error = await providerError(provider().connect(GOOD).readZone(ZONE));
    expect(error.kind).toBe('protocol');
  });

  it('reads the SOA and apex NS Google keeps in every zone, and a write leaves them alone', async () => {
    await fake.close();
    fake = await startGoogleCloudFake({ apexSoaNs: true });
    const { session, zone, contents, find } = await readSeed(provider().connect(GOOD));
    expect(contents.records.filter((r) => r.name === SEED_APEX && (r.type === 'SOA' || r.type === 'NS'))).toHaveLength(5);
    const before = structuredClone(fake.zone().rrsets.filter((r) => r.type === 'SOA' || r.type === 'NS'));
    const spf = find('TXT', SEED_APEX, 'v=spf1');
    await session.applyChanges(zone, contents, [{ action: 'UPDATE', before: spf, record: { ...spf, content: spf.content.replace(' -all', ' include:esp.example -all') } }]);
    expect(fake.zone().rrsets.filter((r) => r.type === 'SOA' || r.type === 'NS')).toEqual(before);
    const error = await providerError(session.applyChanges(zone, contents, [{ action: 'CREATE', record: { type: 'NS', name: SEED_APEX, content: 'ns.evil.example', ttl: 300 } }]));
    expect(error.kind).toBe('rejected');
  });
});

// ------------------------------------------------------------------------------------------------ writing

const NEW_SPF_TERM = 'include:_spf.sender.example';

/** A dns.set-like plan: SPF merged into the apex TXT rrset, three DKIM CNAMEs, one new TXT. */
function typicalPlan(find: (type: string, name: string, prefix?: string) => DnsRecord): RecordChange[] {
  const spf = find('TXT', SEED_APEX, 'v=spf1');
  return [
    { action: 'UPDATE', before: spf, record: { type: 'TXT', name: SEED_APEX, content: spf.content.replace(' -all', ` ${NEW_SPF_TERM} -all`), ttl: spf.ttl } },
    ...['em1', 'em2', 'em3'].map((s): RecordChange => ({ action: 'CREATE', record: { type: 'CNAME', name: `${s}._domainkey.${SEED_APEX}`, content: `${s}.dkim.sender.example`, ttl: 3600 } })),
    { action: 'CREATE', record: { type: 'TXT', name: `_verify.${SEED_APEX}`, content: 'sender-verification=abc def', ttl: 600 } },
  ];
}

describe('applyChanges', () => {
  it('sends ONE changes.create: the touched rrset deleted exactly as read, added back merged; nothing else changes', async () => {
    const { session, zone, contents, find } = await readSeed();
    const before = structuredClone(fake.zone().rrsets);
    const apexTxt = structuredClone(rrset(`${SEED_APEX}.`, 'TXT')!);
    const plan = typicalPlan(find);
    const result = await session.applyChanges(zone, contents, plan);
    expect(result.applied).toEqual(plan);
    expect(posts()).toHaveLength(1);
    expect(api()).toHaveLength(3);
    const body = posts()[0]!.body as GoogleChange;
    expect(body.deletions).toEqual([{ name: apexTxt.name, type: 'TXT', ttl: apexTxt.ttl, rrdatas: apexTxt.rrdatas }]);
    const merged = body.additions.find((a) => a.name === `${SEED_APEX}.` && a.type === 'TXT')!;
    // Every value read, byte for byte and in place, the SPF replaced where it was.
    expect(merged.rrdatas).toEqual(apexTxt.rrdatas!.map((d) => (d.startsWith('"v=spf1') ? d.replace(' -all', ` ${NEW_SPF_TERM} -all`) : d)));
    expect(merged.ttl).toBe(apexTxt.ttl);
    for (const addition of body.additions) {
      if (addition.type === 'TXT') for (const d of addition.rrdatas ?? []) expect(d).toMatch(QUOTED_TXT);
      if (addition.type === 'CNAME') expect(addition.rrdatas?.[0]).toMatch(/\.$/);
    }
    // The zone: every rrset not named is deep-equal; the SPF value is one string, not split at its spaces.
    const touched = new Set([`${SEED_APEX}.|TXT`, ...plan.filter((c) => c.action === 'CREATE').map((c) => `${(c as { record: { name: string } }).record.name}.|${(c as { record: { type: string } }).record.type}`)]);
    expect(fake.zone().rrsets.filter((r) => !touched.has(`${r.name}|${r.type}`))).toEqual(before.filter((r) => !touched.has(`${r.name}|${r.type}`)));
    const { records } = await session.readZone(zone);
    expect(records.filter((r) => r.type === 'TXT' && r.name === SEED_APEX).map((r) => r.content)).toEqual(
      seedRecords().filter((r) => r.type === 'TXT' && r.name === SEED_APEX).map((r) => (r.content.startsWith('v=spf1') ? r.content.replace(' -all', ` ${NEW_SPF_TERM} -all`) : r.content)),
    );
    expect(records.find((r) => r.name === `_verify.${SEED_APEX}`)?.content).toBe('sender-verification=abc def');
    expect(rrset(`em1._domainkey.${SEED_APEX}.`, 'CNAME')?.rrdatas).toEqual(['em1.dkim.sender.example.']);
  });

  it('writes and reads back a long (chunked) TXT and one with quotes and backslashes', async () => {
    const { session, zone, contents } = await readSeed();
    const odd = 'k="v"; path=C:\\dkim';
    await session.applyChanges(zone, contents, [
      { action: 'CREATE', record: { type: 'TXT', name: `big._domainkey.${SEED_APEX}`, content: LONG_DKIM_TXT, ttl: 300 } },
      { action: 'CREATE', record: { type: 'TXT', name: `odd.${SEED_APEX}`, content: odd, ttl: 300 } },
    ]);
    expect(rrset(`big._domainkey.${SEED_APEX}.`, 'TXT')!.rrdatas![0]).toMatch(/^"[^"]{255}" "[^"]+"$/);
    const { records } = await session.readZone(zone);
    expect(records.find((r) => r.name === `big._domainkey.${SEED_APEX}`)?.content).toBe(LONG_DKIM_TXT);
    expect(records.find((r) => r.name === `odd.${SEED_APEX}`)?.content).toBe(odd);
  });

  it('a value added to an rrset that keeps values read takes the rrset TTL; DELETE of the last value deletes the rrset', async () => {
    const { session, zone, contents, find } = await readSeed();
    const dmarc = find('TXT', `_dmarc.${SEED_APEX}`);
    await session.applyChanges(zone, contents, [
      { action: 'CREATE', record: { type: 'TXT', name: SEED_APEX, content: 'new-verification=1', ttl: 300 } },
      { action: 'DELETE', before: dmarc },
      { action: 'DELETE', before: find('A', SEED_APEX, '203.0.113.11') },
    ]);
    const body = posts()[0]!.body as GoogleChange;
    expect(body.additions.find((a) => a.type === 'TXT')?.ttl).toBe(3600);
    expect(body.deletions.map((d) => `${d.name} ${d.type}`).sort()).toEqual([`_dmarc.${SEED_APEX}. TXT`, `${SEED_APEX}. A`, `${SEED_APEX}. TXT`]);
    expect(body.additions.map((d) => `${d.name} ${d.type}`).sort()).toEqual([`${SEED_APEX}. A`, `${SEED_APEX}. TXT`]);
    expect(rrset(`_dmarc.${SEED_APEX}.`, 'TXT')).toBeUndefined();
    expect(rrset(`${SEED_APEX}.`, 'A')?.rrdatas).toEqual(['203.0.113.10']);
  });

  it('refuses, before any write, what Google would refuse', async () => {
    const { session, zone, contents } = await readSeed();
    const tooLong = 'x'.repeat(4001);
    const cases: RecordChange[][] = [
      [{ action: 'CREATE', record: { type: 'TXT', name: `t.${SEED_APEX}`, content: tooLong, ttl: 300 } }],
      [{ action: 'CREATE', record: { type: 'CNAME', name: `mail.${SEED_APEX}`, content: 'x.example.net', ttl: 300 } }],
      [{ action: 'CREATE', record: { type: 'CNAME', name: `blog.${SEED_APEX}`, content: 'second.example.net', ttl: 300 } }],
      [{ action: 'CREATE', record: { type: 'HINFO', name: `h.${SEED_APEX}`, content: 'x', ttl: 300 } }],
      [{ action: 'CREATE', record: { type: 'A', name: 'www.other.org', content: '192.0.2.1', ttl: 300 } }],
      [{ action: 'CREATE', record: { type: 'A', name: `t.${SEED_APEX}`, content: '192.0.2.1', ttl: -1 } }],
    ];
    for (const plan of cases) expect((await providerError(session.applyChanges(zone, contents, plan))).kind).toBe('rejected');
    expect(posts()).toHaveLength(0);
  });

  it('refuses to rewrite a routing-policy rrset', async () => {
    fake.zone().rrsets.push({ kind: 'dns#resourceRecordSet', name: `geo.${SEED_APEX}.`, type: 'TXT', ttl: 300, routingPolicy: { geo: { items: [] } } });
    const { session, zone, contents } = await readSeed();
    const error = await providerError(session.applyChanges(zone, contents, [{ action: 'CREATE', record: { type: 'TXT', name: `geo.${SEED_APEX}`, content: 'x', ttl: 300 } }]));
    expect(error.reason).toContain('routing policy');
    expect(posts()).toHaveLength(0);
  });

  it('maps a 400 from Google to rejected, with its message scrubbed of the project id', async () => {
    const { session, zone, contents } = await readSeed();
    const error = await providerError(session.applyChanges(zone, contents, [{ action: 'CREATE', record: { type: 'A', name: `bad.${SEED_APEX}`, content: '999.1.2.3', ttl: 300 } }]));
    expect(error.kind).toBe('rejected');
    expect(error.reason).toBe("the change was refused: Invalid value for 'entity.change.additions[0].rrdata[0]': '999.1.2.3'");
    // A 400 that quotes the project id (a credential field) and the token: the text goes through redact.
    const token = fake.issuedTokens()[0]!;
    const quoted = googleApiError({ status: 400, headers: {}, text: JSON.stringify({ error: { code: 400, message: `bad ${FAKE_PROJECT} ${token}`, errors: [{ reason: 'invalid' }] } }) }, (t) => t.split(FAKE_PROJECT).join('[redacted]').split(token).join('[redacted]'));
    expect(quoted.reason).toBe('the change was refused: bad [redacted] [redacted]');
  });
});

describe('the stale write (guardedWrite)', () => {
  it('a second writer changes the apex TXT rrset between read and write: 412, staleRead, nothing lost; a fresh read then applies', async () => {
    const { session, zone, contents, find } = await readSeed();
    const plan = typicalPlan(find);
    const theirs = '"their-verification=xyz"';
    fake.beforeNextWrite(() => {
      rrset(`${SEED_APEX}.`, 'TXT')!.rrdatas!.push(theirs);
    });
    const before = structuredClone(fake.zone().rrsets);
    const error = await providerError(session.applyChanges(zone, contents, plan));
    expect([error.kind, error.staleRead, error.reason]).toEqual(['conflict', true, 'the zone changed while it was being written; nothing was applied']);
    expect(posts().map((c) => c.status)).toEqual([412]);
    // Nothing of the change applied (atomic), and their value is there.
    const apex = before.find((r) => r.name === `${SEED_APEX}.` && r.type === 'TXT')!;
    apex.rrdatas!.push(theirs);
    expect(fake.zone().rrsets).toEqual(before);
    // What the service does next (onceMoreIfStale): read again, plan again, apply.
    const fresh = await session.readZone(zone);
    const find2 = (type: string, name: string, prefix = '') => fresh.records.find((r) => r.type === type && r.name === name && r.content.startsWith(prefix))!;
    await session.applyChanges(zone, fresh, typicalPlan(find2));
    const values = rrset(`${SEED_APEX}.`, 'TXT')!.rrdatas!;
    expect(values).toContain(theirs);
    expect(values.find((v) => v.startsWith('"v=spf1'))).toContain(NEW_SPF_TERM);
    expect(values).toHaveLength(4);
  });

  it('someone creates an rrset the plan creates: 409 alreadyExists, staleRead', async () => {
    const { session, zone, contents, find } = await readSeed();
    fake.beforeNextWrite(() => {
      fake.zone().rrsets.push({ kind: 'dns#resourceRecordSet', name: `_verify.${SEED_APEX}.`, type: 'TXT', ttl: 60, rrdatas: ['"theirs"'] });
    });
    const error = await providerError(session.applyChanges(zone, contents, typicalPlan(find)));
    expect([error.kind, error.staleRead]).toEqual(['conflict', true]);
    expect(posts().map((c) => c.status)).toEqual([409]);
    expect(rrset(`${SEED_APEX}.`, 'TXT')!.rrdatas!.join(' ')).not.toContain(NEW_SPF_TERM);
  });

  it('someone deletes an rrset the plan rewrites: the 404 on that deletion is a stale read, not "zone not found"', async () => {
    // Google answers a deletion of an rrset that is gone with 404 "The 'entity.change.deletions[0]' resource named …
    // does not exist." (certbot/certbot#6036): the zone is there, the rrset changed since the read.
    const { session, zone, contents, find } = await readSeed();
    fake.beforeNextWrite(() => {
      fake.zone().rrsets = fake.zone().rrsets.filter((r) => !(r.name === `${SEED_APEX}.` && r.type === 'TXT'));
    });
    const error = await providerError(session.applyChanges(zone, contents, typicalPlan(find)));
    expect(posts().map((c) => c.status)).toEqual([404]);
    expect([error.kind, error.staleRead, error.reason]).toEqual(['conflict', true, 'the zone changed while it was being written; nothing was applied']);
  });
});

describe('a write that may or may not have landed', () => {
  it('lost reply after the change applied: re-read shows it applied, not sent again', async () => {
    const { session, zone, contents, find } = await readSeed();
    fake.failNext({ kind: 'lost-reply', on: 'write' });
    const plan = typicalPlan(find);
    await expect(session.applyChanges(zone, contents, plan)).resolves.toEqual({ applied: plan });
    expect(posts()).toHaveLength(1);
    expect(api().map((c) => `${c.method} ${c.path.split('/').at(-1)}`).slice(-2)).toEqual(['POST changes', 'GET rrsets']);
    expect(rrset(`${SEED_APEX}.`, 'TXT')!.rrdatas!.join(' ')).toContain(NEW_SPF_TERM);
  });

  it.each(['reset', 'server-error'] as const)('%s before the change ran: re-read shows nothing changed, sent once more', async (kind) => {
    const { session, zone, contents, find } = await readSeed();
    fake.failNext({ kind, on: 'write' });
    const plan = typicalPlan(find);
    await expect(session.applyChanges(zone, contents, plan)).resolves.toEqual({ applied: plan });
    expect(posts()).toHaveLength(2);
    expect(rrset(`${SEED_APEX}.`, 'TXT')!.rrdatas!.filter((v) => v.includes(NEW_SPF_TERM))).toHaveLength(1);
  });

  it('a write that keeps failing is reported as unavailable, saying nothing was changed', async () => {
    const { session, zone, contents, find } = await readSeed();
    const before = structuredClone(fake.zone().rrsets);
    fake.failNext({ kind: 'server-error', on: 'write', times: 'always' });
    const error = await providerError(session.applyChanges(zone, contents, typicalPlan(find)));
    expect(error.kind).toBe('unavailable');
    expect(error.reason).toContain('the zone was re-read: nothing was changed');
    expect(posts()).toHaveLength(2);
    expect(fake.zone().rrsets).toEqual(before);
  });

  it('a 429 on the write is refused before it runs: retried after Retry-After', async () => {
    const { session, zone, contents, find } = await readSeed();
    fake.failNext({ kind: 'rate-limited', on: 'write', retryAfterSeconds: 4 });
    await session.applyChanges(zone, contents, typicalPlan(find));
    expect(posts().map((c) => c.status)).toEqual([429, 200]);
    expect(sleeps).toEqual([4000]);
  });

  it('a write that hangs is settled by re-reading within the deadline', async () => {
    const { session, zone, contents, find } = await readSeed(provider({ deadlineMs: 4000 }).connect(GOOD));
    fake.failNext({ kind: 'hang', on: 'write' });
    const plan = typicalPlan(find);
    await expect(session.applyChanges(zone, contents, plan)).resolves.toEqual({ applied: plan });
    expect(posts()).toHaveLength(2);
  });

  it('judgeChange tells applied, unchanged and diverged apart', () => {
    const old: GoogleRrset = { name: 'a.example.com.', type: 'TXT', ttl: 300, rrdatas: ['"x"'] };
    const neu: GoogleRrset = { name: 'a.example.com.', type: 'TXT', ttl: 300, rrdatas: ['"x"', '"y"'] };
    const change: GoogleChange = { deletions: [old], additions: [neu] };
    expect(judgeChange(change, [neu])).toBe('applied');
    expect(judgeChange(change, [old])).toBe('unchanged');
    expect(judgeChange(change, [{ ...old, rrdatas: ['"z"'] }])).toBe('diverged');
    expect(judgeChange(change, [])).toBe('diverged');
  });
});

// ------------------------------------------------------------------------------------------------ errors

describe('error mapping', () => {
  const reply = (status: number, body: unknown, headers: Record<string, string> = {}): HttpReply => ({ status, headers, text: typeof body === 'string' ? body : JSON.stringify(body) });
  const envelope = (code: number, message: string, reason: string, extra: Record<string, unknown> = {}) => ({ error: { code, message, errors: [{ message, domain: 'global', reason }], ...extra } });
  const none = (text: string) => text;

  it.each([
    [401, envelope(401, 'Request had invalid authentication credentials.', 'authError'), 'auth'],
    [403, envelope(403, 'Forbidden', 'forbidden'), 'forbidden'],
    [403, envelope(403, 'Cloud DNS API has not been used in project 1 before or it is disabled.', 'accessNotConfigured'), 'forbidden'],
    [403, envelope(403, 'Request had insufficient authentication scopes.', 'insufficientPermissions'), 'forbidden'],
    [403, envelope(403, 'The change would exceed quota for additions per change.', 'quotaExceeded'), 'rejected'],
    [404, envelope(404, 'Failed to find project p', 'notFound'), 'auth'],
    [404, envelope(404, "The 'parameters.managedZone' resource named 'z' does not exist.", 'notFound'), 'not_found'],
    [400, envelope(400, 'Invalid resource field value in the request.', 'invalidParameter', { details: [{ reason: 'RESOURCE_PROJECT_INVALID' }] }), 'auth'],
    [400, envelope(400, "Invalid value for 'entity.change.additions[0].name': 'x'", 'invalid'), 'rejected'],
    [412, envelope(412, "Precondition not met for 'entity.change.deletions[0]'", 'conditionNotMet'), 'conflict'],
    [409, envelope(409, "The resource 'entity.change.additions[0]' named 'x. (TXT)' already exists", 'alreadyExists'), 'conflict'],
    [429, envelope(429, 'Resource has been exhausted (e.g. check quota).', 'rateLimitExceeded'), 'rate_limited'],
    [503, envelope(503, 'Backend Error', 'backendError'), 'unavailable'],
    [502, '<html><body>502</body></html>', 'unavailable'],
    [418, '<html></html>', 'protocol'],
  ])('HTTP %i → %s', (status, body, kind) => {
    const error = googleApiError(reply(status, body, { 'retry-after': '7' }), none);
    expect(error.kind).toBe(kind);
    expect(error.staleRead).toBe(kind === 'conflict');
    if (kind === 'rate_limited' || kind === 'unavailable') expect(error.retryAfterSeconds).toBe(7);
  });

  it('scrubs the error reason it repeats (5xx, unexpected status), not only the message', () => {
    const secret = 'ya29.c.secret-token-value-0123456789';
    const redact = (text: string) => text.split(secret).join('[redacted]');
    for (const status of [500, 503, 418]) {
      const error = googleApiError(reply(status, envelope(status, 'x', `reason-${secret}`)), redact);
      expect(error.reason, `HTTP ${status}`).not.toContain(secret);
    }
  });

  it.each([
    [400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' }, 'auth', 'Invalid JWT Signature'],
    [400, { error: 'invalid_grant', error_description: 'Invalid grant: account not found' }, 'auth', 'does not exist or is disabled'],
    [400, { error: 'invalid_grant', error_description: 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.' }, 'auth', 'clock'],
    [401, { error: 'invalid_client', error_description: 'The OAuth client was not found.' }, 'auth', 'invalid_client'],
    [429, { error: 'rate_limit_exceeded' }, 'rate_limited', 'rate limiting'],
    [500, 'oops', 'unavailable', 'HTTP 500'],
  ])('token endpoint HTTP %i → %s', (status, body, kind, text) => {
    const error = tokenError(reply(status, body), none);
    expect(error.kind).toBe(kind);
    expect(error.reason).toContain(text);
  });
});

describe('buildChange', () => {
  it('matches a record without raw by its neutral value, and fails when it is gone', async () => {
    const { contents, find } = await readSeed();
    const spf = find('TXT', SEED_APEX, 'v=spf1');
    const bare: DnsRecord = { type: 'TXT', name: SEED_APEX, content: spf.content, ttl: spf.ttl };
    const change = buildChange(SEED_APEX, contents, [{ action: 'DELETE', before: bare }]);
    expect(change.additions[0]!.rrdatas).toHaveLength(2);
    const gone: DnsRecord = { ...bare, content: 'v=spf1 -all' };
    expect(() => buildChange(SEED_APEX, contents, [{ action: 'DELETE', before: gone }])).toThrow(/no longer in the zone as read/);
  });

  it('makes no change for a plan that rewrites values as they are', async () => {
    const { contents, find } = await readSeed();
    const a = find('A', `www.${SEED_APEX}`);
    expect(buildChange(SEED_APEX, contents, [{ action: 'UPDATE', before: a, record: { type: 'A', name: a.name, content: a.content, ttl: a.ttl } }])).toEqual({ additions: [], deletions: [] });
  });
});

// Keys are generated once per process; the fake's pairs must be distinct, or the rotated-key test proves nothing.
it('the fake key pairs are distinct', () => {
  const [a, b, c] = fakeKeyPairs();
  expect(new Set([a!.privatePem, b!.privatePem, c!.privatePem]).size).toBe(3);
});
