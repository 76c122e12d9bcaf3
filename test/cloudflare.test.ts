/**
 * The Cloudflare adapter against its loopback fake over real HTTP (undici Agent from createHttpAgent).
 * Behaviours and their sources: ../shared/reference/providers.md §1 and the comments in the fake.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Agent } from 'undici';
import { createCloudflareProvider, decodeTxt, encodeTxt, type CloudflareAdapterDeps } from '../providers/cloudflare.js';
import { createHttpAgent } from '../providers/http.js';
import { ProviderError, type DnsRecord, type ProviderSession, type RecordChange } from '../providers/types.js';
import { startCloudflareFake, type CloudflareFake, type CloudflareFakeOptions, type FakeToken } from './fakes/cloudflare-fake.js';
import { LONG_DKIM_TXT, seedRecords } from './fakes/seed-zone.js';

const TOKEN = 'Cf_tokenAbcdefghijklmnopqrstuvwxyz012345';
const OTHER_TOKEN = 'Cf_unknownAbcdefghijklmnopqrstuvwxyz0123';

interface Setup {
  fake: CloudflareFake;
  session: ProviderSession;
  sleeps: number[];
}

const open: { fake: CloudflareFake; agent: Agent }[] = [];
afterEach(async () => {
  for (const { fake, agent } of open.splice(0)) {
    await fake.close();
    await agent.close();
  }
});

async function setup(
  options: {
    tokens?: Record<string, FakeToken>;
    zones?: CloudflareFakeOptions['zones'];
    maxPerPage?: number;
    apiKey?: string;
    adapter?: Partial<CloudflareAdapterDeps>;
  } = {},
): Promise<Setup> {
  const fake = await startCloudflareFake({ tokens: options.tokens ?? { [TOKEN]: {} }, zones: options.zones, maxPerPage: options.maxPerPage });
  const agent = createHttpAgent({ keepAliveTimeoutMs: 200 });
  open.push({ fake, agent });
  const sleeps: number[] = [];
  const provider = createCloudflareProvider({
    baseUrl: fake.baseUrl,
    dispatcher: agent,
    sleep: async (ms) => void sleeps.push(ms),
    ...options.adapter,
  });
  return { fake, session: provider.connect({ apiKey: options.apiKey ?? TOKEN }), sleeps };
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

const neutral = (r: { type: string; name: string; content: string; ttl: number; priority?: number | undefined }) =>
  `${r.type} ${r.name} ${r.ttl} ${r.priority ?? '-'} ${r.content}`;

describe('cloudflare: zone lookup and authorize', () => {
  it('authorizes with one zone lookup and one record read, never token verify', async () => {
    const { fake, session } = await setup({ tokens: { [TOKEN]: { accountOwned: true } } });
    const zone = await session.authorize('example.com');
    expect(zone.name).toBe('example.com');
    expect(zone.id).toMatch(/^[0-9a-f]{32}$/);
    expect(fake.calls.map((c) => [c.method, c.path, c.query])).toEqual([
      ['GET', '/zones', { name: 'example.com' }],
      ['GET', `/zones/${zone.id}/dns_records`, { per_page: '1' }],
    ]);
  });

  it('walks up from a sub-domain to the registrable domain, most specific first', async () => {
    const { fake, session } = await setup({ zones: [{ name: 'example.co.uk', records: [] }] });
    const zone = await session.findZone('A.b.Example.co.uk.');
    expect(zone.name).toBe('example.co.uk');
    expect(fake.calls.map((c) => c.query.name)).toEqual(['a.b.example.co.uk', 'b.example.co.uk', 'example.co.uk']);
  });

  it('reports a zone missing from the account as not_found after walking up', async () => {
    const { fake, session } = await setup();
    const error = await failure(session.findZone('mail.other-domain.com'));
    expect([error.kind, error.reason]).toEqual(['not_found', 'zone not found in this account']);
    expect(fake.calls.map((c) => c.query.name)).toEqual(['mail.other-domain.com', 'other-domain.com']);
  });

  const cases: { name: string; apiKey: string; token?: FakeToken; kind: string; reason: RegExp; calls?: number }[] = [
    { name: 'a well-formed unknown token (9109)', apiKey: OTHER_TOKEN, kind: 'auth', reason: /^invalid API token$/ },
    { name: 'a malformed token (6003/6111)', apiKey: 'short!token', kind: 'auth', reason: /malformed/ },
    { name: 'a token that cannot go in a header', apiKey: 'abc def\nghi', kind: 'auth', reason: /malformed/, calls: 0 },
    { name: 'an empty token', apiKey: '  ', kind: 'auth', reason: /no API token/, calls: 0 },
    { name: 'a token without DNS read (10000)', apiKey: TOKEN, token: { permissions: ['zone:read'] }, kind: 'forbidden', reason: /lacks a required permission/ },
    { name: 'a token without zone read (10000)', apiKey: TOKEN, token: { permissions: ['dns:read'] }, kind: 'forbidden', reason: /lacks a required permission/ },
    { name: 'a token whose IP filter refuses us (9109)', apiKey: TOKEN, token: { ipFiltered: true }, kind: 'forbidden', reason: /IP address filter/ },
    { name: 'a token scoped to other zones', apiKey: TOKEN, token: { zones: ['elsewhere.com'] }, kind: 'not_found', reason: /zone not found in this account/ },
  ];
  it.each(cases)('refuses $name with kind $kind and no secret in the reason', async ({ apiKey, token, kind, reason, calls }) => {
    const { fake, session } = await setup({ tokens: { [TOKEN]: token ?? {} }, apiKey });
    const error = await failure(session.authorize('example.com'));
    expect(error.kind).toBe(kind);
    expect(error.reason).toMatch(reason);
    expect(error.isCallerFault).toBe(true);
    if (apiKey.trim() !== '') expect(`${error.message} ${error.reason}`).not.toContain(apiKey.trim());
    if (calls !== undefined) expect(fake.calls).toHaveLength(calls);
  });

  it('reports a zone id outside the token scope as forbidden', async () => {
    const { fake, session } = await setup({ tokens: { [TOKEN]: { zones: ['elsewhere.com'] } }, zones: [{ name: 'example.com' }, { name: 'elsewhere.com' }] });
    const id = [...fake.state.zones.values()].find((z) => z.name === 'example.com')?.id ?? '';
    const error = await failure(session.readZone({ name: 'example.com', id }));
    expect([error.kind, error.reason]).toEqual(['forbidden', 'the token is not allowed to access this zone']);
  });
});

describe('cloudflare: readZone', () => {
  it('returns every seed record normalised in one call, keeping the wire record in raw', async () => {
    const { fake, session } = await setup();
    const zone = await session.findZone('example.com');
    const { records } = await session.readZone(zone);
    expect(records.map(neutral).sort()).toEqual(seedRecords().map(neutral).sort());
    const wire = fake.records('example.com');
    for (const record of records) expect(record.raw).toEqual(wire.find((w) => w.id === record.id));
    expect(fake.calls.slice(1).map((c) => c.query)).toEqual([{ per_page: '5000', page: '1' }]);
    // The seed holds the DKIM key as quoted chunks and the SPF quoted: both read back joined and unquoted.
    expect(wire.find((w) => w.name === 'google._domainkey.example.com')?.content).toMatch(/^".{255}" ".+"$/);
    expect(records.find((r) => r.name === 'google._domainkey.example.com')?.content).toBe(LONG_DKIM_TXT);
  });

  it('follows total_pages when the server caps per_page', async () => {
    const { fake, session } = await setup({ maxPerPage: 7 });
    const zone = await session.findZone('example.com');
    const { records } = await session.readZone(zone);
    const total = seedRecords().length;
    expect(records.map(neutral).sort()).toEqual(seedRecords().map(neutral).sort());
    expect(fake.calls.slice(1).map((c) => c.query.page)).toEqual(Array.from({ length: Math.ceil(total / 7) }, (_, i) => String(i + 1)));
  });

  it('pages with its own page size option', async () => {
    const { fake, session } = await setup({ adapter: { pageSize: 10 } });
    const { records } = await session.readZone(await session.findZone('example.com'));
    expect(new Set(records.map((r) => r.id)).size).toBe(seedRecords().length);
    const pages = fake.calls.slice(1);
    expect(pages).toHaveLength(Math.ceil(seedRecords().length / 10));
    expect(pages.every((c) => c.query.per_page === '10')).toBe(true);
  });

  it('retries a 429 on a read, waiting the Retry-After', async () => {
    const { fake, session, sleeps } = await setup();
    const zone = await session.findZone('example.com');
    fake.failNext({ kind: 'rate_limit', retryAfter: 2 }, { pathPart: '/dns_records' });
    const { records } = await session.readZone(zone);
    expect(records).toHaveLength(seedRecords().length);
    expect(sleeps).toEqual([2000]);
    expect(fake.calls.filter((c) => c.path.endsWith('/dns_records'))).toHaveLength(2);
  });

  it('reports rate_limited without waiting when Retry-After passes the deadline', async () => {
    const { fake, session, sleeps } = await setup({ adapter: { deadlineMs: 1000 } });
    fake.failNext({ kind: 'rate_limit', retryAfter: 5 });
    const error = await failure(session.findZone('example.com'));
    expect([error.kind, error.retryAfterSeconds, error.isCallerFault]).toEqual(['rate_limited', 5, false]);
    expect(sleeps).toEqual([]);
    expect(fake.calls).toHaveLength(1);
  });

  it('retries an HTML 502 from the edge and reports unavailable when it persists', async () => {
    const { fake, session, sleeps } = await setup();
    fake.failNext({ kind: 'html', status: 502 });
    await expect(session.findZone('example.com')).resolves.toMatchObject({ name: 'example.com' });
    expect(sleeps).toHaveLength(1);
    fake.setBehaviour({ always: { kind: 'html', status: 503 } });
    const error = await failure(session.findZone('example.com'));
    expect([error.kind, error.reason]).toEqual(['unavailable', 'HTTP 503 from Cloudflare']);
    expect(fake.calls).toHaveLength(2 + 4);
  });
});

describe('cloudflare: applyChanges', () => {
  const withoutDmarc = () => seedRecords().filter((r) => r.name !== '_dmarc.example.com');
  const SPF = 'v=spf1 include:_spf.mailhost.example.net ip4:203.0.113.0/24 -all';
  const MERGED_SPF = 'v=spf1 include:_spf.mailhost.example.net include:spf.sender.example.net ip4:203.0.113.0/24 -all';

  async function readSeeded(options: Parameters<typeof setup>[0] = {}) {
    const s = await setup({ zones: [{ name: 'example.com', records: withoutDmarc() }], ...options });
    const zone = await s.session.findZone('example.com');
    const contents = await s.session.readZone(zone);
    const find = (type: string, name: string, test: (r: DnsRecord) => boolean = () => true) => {
      const found = contents.records.find((r) => r.type === type && r.name === name && test(r));
      if (!found) throw new Error(`no ${type} ${name}`);
      return found;
    };
    return { ...s, zone, contents, find };
  }

  it('applies a typical plan in one batch and leaves every other record byte-for-byte', async () => {
    const { fake, session, zone, contents, find } = await readSeeded();
    const before = fake.records('example.com');
    const spf = find('TXT', 'example.com', (r) => r.content === SPF);
    const changes: RecordChange[] = [
      { action: 'CREATE', record: { type: 'CNAME', name: 'em1._domainkey.example.com', content: 'em1.dkim.sender.example.net.', ttl: 3600 } },
      { action: 'CREATE', record: { type: 'CNAME', name: 'bounce.example.com', content: 'return.sender.example.net', ttl: 3600 } },
      { action: 'UPDATE', before: spf, record: { type: 'TXT', name: 'example.com', content: MERGED_SPF, ttl: 3600 } },
      { action: 'CREATE', record: { type: 'TXT', name: '_dmarc.example.com', content: 'v=DMARC1; p=none; rua=mailto:"dmarc"@sender.example.net', ttl: 3600 } },
      { action: 'CREATE', record: { type: 'TXT', name: 'sender2048._domainkey.example.com', content: LONG_DKIM_TXT, ttl: 300 } },
    ];
    const result = await session.applyChanges(zone, contents, changes);
    expect(result.applied).toEqual([changes[2], changes[0], changes[1], changes[3], changes[4]]);
    // Minimum for dns.set: zone lookup + one page + one batch.
    expect(fake.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'GET /zones',
      `GET /zones/${zone.id}/dns_records`,
      `POST /zones/${zone.id}/dns_records/batch`,
    ]);

    const after = fake.records('example.com');
    const spfWireBefore = before.find((r) => r.id === spf.id);
    for (const record of before) {
      if (record.id === spf.id) continue;
      expect(after.find((r) => r.id === record.id)).toEqual(record);
    }
    // PATCH changed content and TTL only: the comment and every other field stay.
    expect(after.find((r) => r.id === spf.id)).toEqual({ ...spfWireBefore, content: `"${MERGED_SPF}"`, modified_on: expect.any(String) });
    expect(spfWireBefore?.comment).toBe('managed by IT, ticket 4411');

    const created = after.filter((r) => !before.some((b) => b.id === r.id));
    expect(created).toHaveLength(4);
    const byName = (name: string) => created.find((r) => r.name === name);
    expect(byName('em1._domainkey.example.com')).toMatchObject({ type: 'CNAME', content: 'em1.dkim.sender.example.net', proxied: false, ttl: 3600 });
    expect(byName('bounce.example.com')).toMatchObject({ type: 'CNAME', content: 'return.sender.example.net', proxied: false, ttl: 3600 });
    expect(byName('_dmarc.example.com')).toMatchObject({ type: 'TXT', content: '"v=DMARC1; p=none; rua=mailto:\\"dmarc\\"@sender.example.net"', proxied: false });
    const dkim = byName('sender2048._domainkey.example.com');
    const chunks = [...(dkim?.content ?? '').matchAll(/"([^"]*)"/g)].map((m) => m[1] ?? '');
    expect(chunks.map((c) => c.length)).toEqual([255, LONG_DKIM_TXT.length - 255]);
    expect(chunks.join('')).toBe(LONG_DKIM_TXT);

    // Read back normalised: the zone is the seed minus the old SPF plus exactly what was asked.
    const reread = await session.readZone(zone);
    const expected = [...withoutDmarc().filter((r) => !(r.type === 'TXT' && r.content === SPF)), ...changes.map((c) => (c.action === 'DELETE' ? c.before : c.record))];
    expect(reread.records.map(neutral).sort()).toEqual(expected.map((r) => neutral({ ...r, content: r.content.replace(/\.$/, '') })).sort());

    const callsSoFar = fake.calls.length;
    await expect(session.applyChanges(zone, reread, [])).resolves.toEqual({ applied: [] });
    expect(fake.calls).toHaveLength(callsSoFar);
  });

  it('deletes exactly the named record', async () => {
    const { fake, session, zone, contents, find } = await readSeeded();
    const before = fake.records('example.com');
    const victim = find('TXT', 'example.com', (r) => r.content === 'MS=ms51923412');
    const result = await session.applyChanges(zone, contents, [{ action: 'DELETE', before: victim }]);
    expect(result.applied).toHaveLength(1);
    expect(fake.calls.at(-1)?.body).toEqual({ deletes: [{ id: victim.id }], patches: [], posts: [] });
    expect(fake.records('example.com')).toEqual(before.filter((r) => r.id !== victim.id));
  });

  it('keeps comment and tags of an updated proxied CNAME but unproxies it', async () => {
    const { fake, session, zone, contents, find } = await readSeeded();
    const shop = find('CNAME', 'shop.example.com');
    const before = fake.records('example.com').find((r) => r.id === shop.id);
    await session.applyChanges(zone, contents, [{ action: 'UPDATE', before: shop, record: { ...shop, content: 'shops2.example-commerce.net', ttl: 600 } }]);
    expect(fake.records('example.com').find((r) => r.id === shop.id)).toEqual({
      ...before,
      content: 'shops2.example-commerce.net',
      ttl: 600,
      proxied: false,
      modified_on: expect.any(String),
    });
    expect(before).toMatchObject({ proxied: true, comment: 'storefront (agency)', tags: ['team:web'] });
  });

  it('reads the fields a copy of a record must keep, only where they differ from a new record', async () => {
    const { find } = await readSeeded();
    expect(find('CNAME', 'shop.example.com').providerFields).toEqual({ proxied: true, comment: 'storefront (agency)', tags: ['team:web'] });
    expect(find('A', 'www.example.com').providerFields).toEqual({ proxied: true });
    expect(find('MX', 'example.com').providerFields).toBeUndefined();
  });

  it('a revert re-creates a deleted record with its proxied flag, comment and tags', async () => {
    const { fake, session, zone, contents, find } = await readSeeded();
    const shop = find('CNAME', 'shop.example.com');
    const before = fake.records('example.com').find((r) => r.id === shop.id)!;
    await session.applyChanges(zone, contents, [{ action: 'DELETE', before: shop }]);
    const { id: _id, created_on: _c, modified_on: _m, ...kept } = before;
    const restore = { type: 'CNAME', name: shop.name, content: shop.content, ttl: shop.ttl, restoreFields: shop.providerFields };
    await session.applyChanges(zone, await session.readZone(zone), [{ action: 'CREATE', record: restore }]);
    const recreated = fake.records('example.com').find((r) => r.name === 'shop.example.com')!;
    expect(recreated).toEqual({ ...kept, id: expect.any(String), created_on: expect.any(String), modified_on: expect.any(String) });
  });

  it('a revert of an update proxies the CNAME again and leaves its comment and tags as they are now', async () => {
    const { fake, session, zone, contents, find } = await readSeeded();
    const shop = find('CNAME', 'shop.example.com');
    await session.applyChanges(zone, contents, [{ action: 'UPDATE', before: shop, record: { ...shop, content: 'shops2.example-commerce.net' } }]);
    // Edited by someone after the forward write: the revert must not put the old comment back.
    const live = [...fake.state.zones.values()].find((z) => z.name === 'example.com')!.records.find((r) => r.id === shop.id)!;
    live.comment = 'storefront (moved)';
    const now = (await session.readZone(zone)).records.find((r) => r.id === shop.id)!;
    const restore = { type: 'CNAME', name: shop.name, content: shop.content, ttl: shop.ttl, restoreFields: shop.providerFields };
    await session.applyChanges(zone, await session.readZone(zone), [{ action: 'UPDATE', before: now, record: restore }]);
    expect(fake.records('example.com').find((r) => r.id === shop.id)).toMatchObject({
      content: 'shops.example-commerce.net',
      proxied: true,
      comment: 'storefront (moved)',
      tags: ['team:web'],
    });
  });

  const refused: { name: string; change: RecordChange; kind: string; reason: RegExp }[] = [
    { name: 'a TTL under 60 (1004/9021)', change: { action: 'CREATE', record: { type: 'TXT', name: '_dmarc.example.com', content: 'v=DMARC1; p=none', ttl: 30 } }, kind: 'rejected', reason: /TTL must be between 60 and 86400/ },
    { name: 'an identical record (81058)', change: { action: 'CREATE', record: { type: 'TXT', name: 'example.com', content: 'MS=ms51923412', ttl: 300 } }, kind: 'conflict', reason: /identical record already exists/ },
    { name: 'a CNAME next to an A (81053)', change: { action: 'CREATE', record: { type: 'CNAME', name: 'mail.example.com', content: 'x.example.net', ttl: 300 } }, kind: 'conflict', reason: /CNAME cannot share/ },
    { name: 'a TXT next to a CNAME (81054)', change: { action: 'CREATE', record: { type: 'TXT', name: 'blog.example.com', content: 'hello', ttl: 300 } }, kind: 'conflict', reason: /CNAME cannot share/ },
  ];
  it.each(refused)('refuses $name atomically: nothing in the batch is applied', async ({ change, kind, reason }) => {
    const { fake, session, zone, contents } = await readSeeded();
    const before = fake.records('example.com');
    const good: RecordChange = { action: 'CREATE', record: { type: 'CNAME', name: 'em1._domainkey.example.com', content: 'em1.dkim.sender.example.net', ttl: 3600 } };
    const error = await failure(session.applyChanges(zone, contents, [good, change]));
    expect([error.kind, error.isCallerFault]).toEqual([kind, true]);
    expect(error.reason).toMatch(reason);
    expect(fake.records('example.com')).toEqual(before);
  });

  it('reports a record deleted since the read as conflict', async () => {
    const { fake, session, zone, contents, find } = await readSeeded();
    const victim = find('A', 'vpn.example.com');
    await session.applyChanges(zone, contents, [{ action: 'DELETE', before: victim }]);
    const error = await failure(session.applyChanges(zone, contents, [{ action: 'DELETE', before: victim }]));
    expect(error.kind).toBe('conflict');
    expect(fake.calls.filter((c) => c.path.endsWith('/batch'))).toHaveLength(2);
  });

  it('re-reads instead of repeating a batch whose reply was lost, and reports success when it had applied', async () => {
    const { fake, session, zone, contents } = await readSeeded();
    fake.failNext({ kind: 'drop_after_apply' }, { pathPart: '/batch' });
    const change: RecordChange = { action: 'CREATE', record: { type: 'TXT', name: '_dmarc.example.com', content: 'v=DMARC1; p=none', ttl: 3600 } };
    await expect(session.applyChanges(zone, contents, [change])).resolves.toEqual({ applied: [change] });
    expect(fake.calls.filter((c) => c.path.endsWith('/batch'))).toHaveLength(1);
    expect(fake.records('example.com').filter((r) => r.name === '_dmarc.example.com')).toHaveLength(1);
  });

  it('repeats a batch refused with 429 (refused before it ran) once Retry-After passes', async () => {
    const { fake, session, zone, contents, sleeps } = await readSeeded();
    fake.failNext({ kind: 'rate_limit', retryAfter: 1 }, { pathPart: '/batch' });
    const change: RecordChange = { action: 'CREATE', record: { type: 'TXT', name: '_dmarc.example.com', content: 'v=DMARC1; p=none', ttl: 3600 } };
    await expect(session.applyChanges(zone, contents, [change])).resolves.toEqual({ applied: [change] });
    expect(sleeps).toEqual([1000]);
    expect(fake.records('example.com').filter((r) => r.name === '_dmarc.example.com')).toHaveLength(1);
  });
});

describe('cloudflare: TXT codec', () => {
  it('round-trips any value through quoted chunks of at most 255 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 700 }), (value) => {
        const encoded = encodeTxt(value);
        expect(decodeTxt(encoded)).toBe(value);
        for (const m of encoded.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
          expect(Buffer.byteLength((m[1] ?? '').replace(/\\(.)/g, '$1'), 'utf8')).toBeLessThanOrEqual(255);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('reads unquoted content as the value itself and joins quoted chunks', () => {
    expect(decodeTxt('v=spf1 -all')).toBe('v=spf1 -all');
    expect(decodeTxt('"abc" "def"')).toBe('abcdef');
    expect(decodeTxt('"say \\"hi\\"" "\\065"')).toBe('say "hi"A');
    expect(decodeTxt('"unterminated')).toBe('"unterminated');
    // A lone surrogate is not valid UTF-8 text: it reads as U+FFFD, escapes or not.
    expect(decodeTxt('"a\uD800b" "c"')).toBe('a\uFFFDbc');
  });
});
