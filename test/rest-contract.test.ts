/**
 * The platform's REST contract, end to end over loopback HTTP: `/api/v1/<command>` and `/api.php`, every error code,
 * every encoding (JSON, form, multipart, GET), the legacy envelope and XML. Detection uses a real DNS server on
 * loopback; provider calls go to the provider fakes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { bearer, getQuery, http, postForm, postJson, postMultipart } from './helpers/gateway.js';
import { SECRETS, startWorld, type World } from './helpers/world.js';
import { createUser } from '../src/auth/auth-service.js';

let world: World;
let key: string;
let gw: World['gateway'];

beforeAll(async () => {
  world = await startWorld();
  gw = world.gateway;
  key = gw.adminKey;
});
afterAll(() => world.close());

const codes = (body: { Errors: { Code: number }[] }) => body.Errors.map((e) => e.Code);

describe('dns.provider', () => {
  it('answers exactly {"provider":"cloudflare"} for a Cloudflare-delegated domain, with rate-limit headers', async () => {
    const res = await getQuery(gw, '/api/v1/dns.provider', { Domain: 'example.com' }, bearer(key));
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"provider":"cloudflare"}');
    expect(Number(res.headers['ratelimit-limit'])).toBe(100);
    expect(Number(res.headers['ratelimit-remaining'])).toBeLessThan(100);
    expect(res.headers['ratelimit-reset']).toMatch(/^\d+$/);
  });

  it('walks up from a subdomain to the registrable domain under a multi-label public suffix', async () => {
    const res = await getQuery(gw, '/api/v1/dns.provider', { Domain: 'Mail.Example.co.uk.' }, bearer(key));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ provider: 'route53' });
  });

  it.each([
    ['godaddy-customer.com', 'godaddy'],
    ['namecheap-customer.com', 'namecheap'],
  ])('detects %s as %s', async (domain, provider) => {
    const res = await getQuery(gw, '/api/v1/dns.provider', { Domain: domain }, bearer(key));
    expect(res.json).toEqual({ provider });
  });

  it('answers code 2 for a delegation no known provider serves, and for a domain with no delegation', async () => {
    for (const domain of ['obscure-host.com', 'no-such-delegation.com']) {
      const res = await getQuery(gw, '/api/v1/dns.provider', { Domain: domain }, bearer(key));
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ Errors: [{ Code: 2, Message: 'Unable to determine DNS provider for this domain' }] });
    }
  });

  it('refuses a missing or invalid domain with code 1 before any DNS lookup', async () => {
    const before = world.dns.queries.length;
    const missing = await getQuery(gw, '/api/v1/dns.provider', {}, bearer(key));
    expect(missing.status).toBe(400);
    expect(missing.json).toEqual({ Errors: [{ Code: 1, Message: 'Missing domain parameter' }] });
    for (const bad of ['localhost', '192.0.2.1', 'not a domain', 'single', 'a..b.com', 'x'.repeat(300) + '.com']) {
      const res = await getQuery(gw, '/api/v1/dns.provider', { Domain: bad }, bearer(key));
      expect(res.status, bad).toBe(400);
      expect(codes(res.json)).toEqual([1]);
      expect(res.json.Errors[0].Message).toMatch(/^Invalid domain parameter/);
    }
    expect(world.dns.queries.length).toBe(before);
  });

  it('normalises an IDN to punycode before the lookup', async () => {
    world.dns.add({ name: 'xn--bcher-kva.com', type: 'NS', ttl: 60, data: 'kim.ns.cloudflare.com' });
    const res = await getQuery(gw, '/api/v1/dns.provider', { Domain: 'BÜCHER.com' }, bearer(key));
    expect(res.json).toEqual({ provider: 'cloudflare' });
    expect(world.dns.queries.some((q) => q.name === 'xn--bcher-kva.com')).toBe(true);
  });
});

describe('authentication and permission', () => {
  it('answers 99998 / HTTP 401 without a key, with an unknown key, or with a revoked key', async () => {
    const none = await getQuery(gw, '/api/v1/dns.provider', { Domain: 'example.com' });
    expect(none.status).toBe(401);
    expect(none.json).toEqual({ Errors: [{ Code: 99998, Message: 'Authentication failure or session expired' }] });
    const wrong = await getQuery(gw, '/api/v1/dns.provider', { Domain: 'example.com' }, bearer('dgk_nope_nope'));
    expect(wrong.status).toBe(401);
  });

  it('takes the key from the APIKey parameter too (query, JSON body, form)', async () => {
    const query = await getQuery(gw, '/api/v1/dns.provider', { Domain: 'example.com', APIKey: key });
    expect(query.json).toEqual({ provider: 'cloudflare' });
    const json = await postJson(gw, '/api/v1/dns.provider', { Domain: 'example.com', APIKey: key });
    expect(json.json).toEqual({ provider: 'cloudflare' });
    const form = await postForm(gw, '/api.php', { Command: 'dns.provider', Domain: 'example.com', APIKey: key });
    expect(form.json).toMatchObject({ Success: true, provider: 'cloudflare' });
  });

  it('keeps APIKey (ours) and ApiKey (the provider\'s) apart', async () => {
    // Only the provider key given: the caller is not authenticated.
    const res = await postJson(gw, '/api/v1/dns.provider', { Domain: 'example.com', ApiKey: key });
    expect(res.status).toBe(401);
  });

  it('answers 99999 / HTTP 403 for a key without User.Update', async () => {
    const weak = await gw.createKey({ permissions: ['Dns.Read'] });
    const res = await getQuery(gw, '/api/v1/dns.provider', { Domain: 'example.com' }, bearer(weak));
    expect(res.status).toBe(403);
    expect(codes(res.json)).toEqual([99999]);
  });

  it('logs in with user.login and accepts the SessionID', async () => {
    await createUser(gw.running.services.store, { username: 'alice', password: 'correct horse battery', permissions: ['User.Update'] });
    const bad = await postJson(gw, '/api/v1/user.login', { Username: 'alice', Password: 'wrong' });
    expect(bad.status).toBe(401);
    expect(codes(bad.json)).toEqual([3]);
    const missing = await postJson(gw, '/api/v1/user.login', {});
    expect(codes(missing.json)).toEqual([1, 2]);
    const ok = await postForm(gw, '/api.php', { Command: 'user.login', username: 'alice', password: 'correct horse battery' });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ Success: true, ErrorCode: 0, UserInfo: { Username: 'alice' } });
    const sessionId: string = ok.json.SessionID;
    expect(sessionId).toMatch(/^dgs_/);
    const res = await getQuery(gw, '/api/v1/dns.provider', { Domain: 'example.com', SessionID: sessionId });
    expect(res.json).toEqual({ provider: 'cloudflare' });
  });
});

describe('dns.authorize and dns.set input errors, in code order', () => {
  const cases: [string, string, Record<string, unknown>, number[]][] = [
    ['nothing', 'dns.authorize', {}, [1, 2, 3]],
    ['GoDaddy without a secret', 'dns.authorize', { Domain: 'example.com', Provider: 'godaddy', ApiKey: 'k' }, [5]],
    ['Namecheap without user and username', 'dns.authorize', { Domain: 'example.com', Provider: 'NameCheap', ApiKey: 'k' }, [6, 7]],
    ['an unknown provider and no domain', 'dns.authorize', { Provider: 'dnsmadeeasy', ApiKey: 'k' }, [1, 8]],
    ['dns.set with nothing', 'dns.set', {}, [1, 2, 3, 4]],
    ['dns.set with an unknown record type', 'dns.set', { Domain: 'example.com', Provider: 'cloudflare', ApiKey: 'k', RecordType: 'newsletter' }, [4]],
    ['dns.set GoDaddy missing secret and record type', 'dns.set', { Domain: 'example.com', Provider: 'godaddy', ApiKey: 'k' }, [4, 5]],
    ['an array where a string belongs', 'dns.authorize', { Domain: ['example.com'], Provider: 'cloudflare', ApiKey: { a: 1 } }, [1, 2]],
  ];
  it.each(cases)('%s → %j', async (_label, command, body, expected) => {
    const res = await postJson(gw, `/api/v1/${command}`, body, bearer(key));
    expect(res.status).toBe(400);
    expect(codes(res.json)).toEqual(expected);
    for (const e of res.json.Errors) expect(e.Message).toEqual(expect.any(String));
  });

  it('refuses a flag that is neither true nor false, and changes nothing', async () => {
    const res = await postJson(gw, '/api/v1/dns.set', { Domain: 'sandbox-flags.com', Provider: 'sandbox', ApiKey: 'k', RecordType: 'campaign', DryRun: 'maybe' }, bearer(key));
    expect(res.status).toBe(400);
    expect(await gw.running.services.store.readSandboxZone('sandbox-flags.com')).toEqual([]);
  });
});

describe('provider outcomes (codes 9 and 10)', () => {
  it('authorizes good Cloudflare credentials: {"success":true}', async () => {
    const res = await postJson(gw, '/api/v1/dns.authorize', { Command: 'dns.authorize', Domain: 'example.com', Provider: 'cloudflare', ApiKey: SECRETS.cloudflareToken }, bearer(key));
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"success":true}');
  });

  it('answers code 9 / HTTP 422 with the provider\'s reason for a wrong token, never echoing it', async () => {
    const res = await postJson(gw, '/api/v1/dns.authorize', { Domain: 'example.com', Provider: 'cloudflare', ApiKey: 'cfWRONGtoken000000000000000000000000000' }, bearer(key));
    expect(res.status).toBe(422);
    expect(codes(res.json)).toEqual([9]);
    expect(res.json.Errors[0].Message).toMatch(/^Authorization failed for this DNS provider: Cloudflare: /);
    expect(res.text).not.toContain('cfWRONGtoken');
  });

  it('reports GoDaddy ACCESS_DENIED as an account not eligible for API access', async () => {
    const res = await postJson(gw, '/api/v1/dns.authorize', { Domain: 'example.com', Provider: 'godaddy', ApiKey: SECRETS.godaddyDeniedKey, ApiSecret: SECRETS.godaddyDeniedSecret }, bearer(key));
    expect(res.status).toBe(422);
    expect(res.json.Errors[0].Message).toContain('GoDaddy: account not eligible for API access');
    expect(res.text).not.toContain(SECRETS.godaddyDeniedSecret);
  });

  it('answers code 10 / HTTP 502 when the provider fails (an HTML error page)', async () => {
    world.cloudflare.setBehaviour({ always: { kind: 'html', status: 502 } });
    try {
      const res = await postJson(gw, '/api/v1/dns.authorize', { Domain: 'example.com', Provider: 'cloudflare', ApiKey: SECRETS.cloudflareToken }, bearer(key));
      expect(res.status).toBe(502);
      expect(codes(res.json)).toEqual([10]);
      expect(res.json.Errors[0].Message).toContain('Cloudflare');
    } finally {
      world.cloudflare.setBehaviour({ always: undefined });
    }
  });

  it('answers code 9 for dns.set when the credentials are refused', async () => {
    const res = await postJson(gw, '/api/v1/dns.set', { Domain: 'example.com', Provider: 'cloudflare', ApiKey: 'cfWRONGtoken000000000000000000000000000', RecordType: 'campaign' }, bearer(key));
    expect(res.status).toBe(422);
    expect(res.json.Errors[0].Message).toMatch(/^Failed to set DNS records: Cloudflare: /);
  });
});

describe('dns.set through the sandbox', () => {
  it('answers exactly {"success":true}, then converges, and a dry run returns the plan', async () => {
    const body = { Domain: 'sandbox-one.com', Provider: 'sandbox', ApiKey: 'anything', RecordType: 'campaign' };
    const dry = await postJson(gw, '/api/v1/dns.set', { ...body, DryRun: true }, bearer(key));
    expect(dry.status).toBe(200);
    expect(dry.json.success).toBe(true);
    expect(dry.json.changes.filter((c: { action: string }) => c.action === 'CREATE').length).toBeGreaterThan(0);
    expect(await gw.running.services.store.readSandboxZone('sandbox-one.com')).toEqual([]);

    const first = await postJson(gw, '/api/v1/dns.set', body, bearer(key));
    expect(first.text).toBe('{"success":true}');
    const written = await gw.running.services.store.readSandboxZone('sandbox-one.com');
    expect(written.length).toBe(dry.json.changes.filter((c: { action: string }) => c.action === 'CREATE').length);

    for (const flagValue of ['1', 'true', 'TRUE']) {
      const again = await postForm(gw, '/api/v1/dns.set', { ...body, DryRun: flagValue }, bearer(key));
      expect(again.json.changes.every((c: { action: string }) => c.action === 'KEEP')).toBe(true);
    }
    expect(await gw.running.services.store.readSandboxZone('sandbox-one.com')).toEqual(written);
  });
});

describe('/api.php and the encodings', () => {
  it('answers handler errors with HTTP 200 and the legacy fields beside Errors', async () => {
    const res = await postJson(gw, '/api.php', { Command: 'dns.authorize', APIKey: key });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      Success: false,
      ErrorCode: [1, 2, 3],
      ErrorText: ['Missing domain parameter', 'Missing API key', 'Missing provider'],
      Errors: [
        { Code: 1, Message: 'Missing domain parameter' },
        { Code: 2, Message: 'Missing API key' },
        { Code: 3, Message: 'Missing provider' },
      ],
    });
  });

  it('answers 99998 and 99999 with HTTP 200 on /api.php', async () => {
    const res = await getQuery(gw, '/api.php', { Command: 'dns.provider', Domain: 'example.com' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ Success: false, ErrorCode: [99998] });
  });

  it.each([
    ['GET', () => getQuery(gw, '/api.php', { Command: 'dns.provider', Domain: 'example.com', APIKey: key })],
    ['JSON', () => postJson(gw, '/api.php', { Command: 'dns.provider', Domain: 'example.com', APIKey: key })],
    ['form', () => postForm(gw, '/api.php', { Command: 'dns.provider', Domain: 'example.com', APIKey: key })],
    ['multipart', () => postMultipart(gw, '/api.php', { Command: 'dns.provider', Domain: 'example.com', APIKey: key })],
  ])('serves %s with the legacy success fields', async (_label, send) => {
    const res = await send();
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ Success: true, ErrorCode: 0, ErrorText: '', provider: 'cloudflare' });
  });

  it('reaches error codes 1–8 through form and multipart bodies too', async () => {
    const form = await postForm(gw, '/api.php', { Command: 'dns.set', APIKey: key, Provider: 'namecheap', ApiKey: 'k' });
    expect(form.json.ErrorCode).toEqual([1, 4, 6, 7]);
    const multipart = await postMultipart(gw, '/api/v1/dns.set', { Domain: 'example.com', Provider: 'godaddy', ApiKey: 'k', RecordType: 'campaign' }, bearer(key));
    expect(multipart.status).toBe(400);
    expect(codes(multipart.json)).toEqual([5]);
    const unsupported = await postMultipart(gw, '/api.php', { Command: 'dns.authorize', APIKey: key, Domain: 'example.com', Provider: 'bind', ApiKey: 'k' });
    expect(unsupported.json.ErrorCode).toEqual([8]);
  });

  it('answers in XML when ResponseFormat=XML', async () => {
    const res = await getQuery(gw, '/api.php', { Command: 'dns.provider', Domain: 'example.com', APIKey: key, ResponseFormat: 'XML' });
    expect(res.headers['content-type']).toMatch(/xml/);
    const parsed = new XMLParser().parse(res.text);
    expect(parsed.response).toMatchObject({ Success: true, ErrorCode: 0, provider: 'cloudflare' });
    const lower = await getQuery(gw, '/api.php', { Command: 'dns.provider', Domain: 'example.com', APIKey: key, ResponseFormat: 'xml' });
    expect(lower.json).toMatchObject({ Success: true });
  });

  it('answers 100000 for a body that is not valid JSON, on both paths, with HTTP 400', async () => {
    for (const path of ['/api/v1/dns.provider', '/api.php']) {
      const res = await http(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(key) }, body: '{"Domain": ' });
      expect(res.status).toBe(400);
      expect(codes(res.json)).toEqual([100000]);
    }
  });

  it('answers 100003 for an unknown command, and for a body Command that disagrees with the path', async () => {
    const unknown = await postJson(gw, '/api/v1/dns.delete', {}, bearer(key));
    expect(unknown.status).toBe(400);
    expect(codes(unknown.json)).toEqual([100003]);
    const legacy = await postJson(gw, '/api.php', { Command: 'nope' }, bearer(key));
    expect(legacy.status).toBe(400);
    expect(legacy.json).toMatchObject({ Success: false, ErrorCode: 100003 });
    const mismatch = await postJson(gw, '/api/v1/dns.provider', { Command: 'dns.set', Domain: 'example.com' }, bearer(key));
    expect(mismatch.status).toBe(400);
    expect(codes(mismatch.json)).toEqual([100003]);
  });

  it('refuses an oversized body with 413 and nothing else breaks', async () => {
    const res = await http(`${gw.url}/api/v1/dns.provider`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(key) },
      body: JSON.stringify({ Domain: 'example.com', Padding: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
    const after = await getQuery(gw, '/api/v1/dns.provider', { Domain: 'example.com' }, bearer(key));
    expect(after.status).toBe(200);
  });
});
