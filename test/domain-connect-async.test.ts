/**
 * Domain Connect's asynchronous (OAuth) flow end to end on loopback, against the fake provider's consent page, token
 * endpoint and apply API (test/fakes/domain-connect-fake.ts, which follows the spec's "OAuth Flow" sections):
 * consent → callback → apply; a 409 answered as code 9 naming the conflicting records, and Force applying anyway; an
 * expired access token refreshed once; the journal; and a scan showing that no token, code or client secret reaches a
 * reply, a log line, the journal or the database file.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { print } from 'graphql';
import { SetDnsRecordsDocument } from './graphql/generated/graphql.js';
import { bearer, getQuery, graphql, http, MASTER_DOMAIN, postJson, startGateway, type HttpResult } from './helpers/gateway.js';
import { cname, DC, startDcWorld, txt, type DcWorld } from './helpers/domain-connect-world.js';

let dir: string;
let world: DcWorld;
/** Every reply this file received from the gateway, for the scan at the end. */
const replies: { label: string; res: HttpResult }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'dg-dc-async-'));
  world = await startDcWorld({ DATABASE_URL: `sqlite:${path.join(dir, 'gateway.db')}`, LOG_LEVEL: 'trace' });
  world.host('async-me.com', [txt('async-me.com', 'v=spf1 mx -all')]);
  world.host('conflict-me.com', [cname('sl.conflict-me.com', 'other-esp.example.net')]);
  world.host('sync-only.com', [], { async: false });
  world.host('refresh-me.com');
  world.host('short-lived.com');
});

afterAll(async () => {
  await world?.close();
  rmSync(dir, { recursive: true, force: true });
});

const gw = () => world.gateway;
const keep = async (label: string, pending: Promise<HttpResult>) => {
  const res = await pending;
  replies.push({ label, res });
  return res;
};
const connect = (label: string, params: Record<string, string>) => keep(label, postJson(gw(), '/api/v1/dns.connect', { Flow: 'async', ...params }, bearer(gw().adminKey)));
const set = (label: string, params: Record<string, unknown>) => keep(label, postJson(gw(), '/api/v1/dns.set', { Provider: 'domainconnect', ...params }, bearer(gw().adminKey)));
/** The browser: the consent page at the provider, then the gateway's callback it redirects to. */
async function consent(label: string, url: string): Promise<HttpResult> {
  const atProvider = await world.open(url);
  expect(atProvider.status, atProvider.text).toBe(302);
  const callback = String(atProvider.headers.location);
  expect(callback.startsWith(`${gw().url}/domain-connect/callback?`)).toBe(true);
  return keep(label, http(callback));
}
const at = (apex: string, name: string, type: string) => world.fake.zones.get(apex)!.filter((r) => r.name === name && r.type === type).map((r) => r.data);

describe('Domain Connect asynchronous flow', () => {
  it('consent → callback → apply: the tokens are stored sealed, the records applied and journaled, the browser sent back with state', async () => {
    const res = await connect('connect async', { Domain: 'async-me.com', RecordType: 'campaign', RedirectURI: `https://${DC.redirectHost}/done`, State: 'st-async' });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ providerName: 'Fake DC Provider', width: 640, height: 480 });
    const url = new URL(res.json.url);
    expect(`${url.origin}${url.pathname}`).toBe(`${world.fake.url}/async/v2/domainTemplates/providers/${DC.providerId}`);
    expect(url.searchParams.get('client_id')).toBe(DC.clientId);
    expect(url.searchParams.get('redirect_uri')).toBe(`${gw().url}/domain-connect/callback`);
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('scope')).toBe('campaign email-gateway');
    expect([url.searchParams.get('domain'), url.searchParams.get('host')]).toEqual(['async-me.com', '']);
    // The state is sealed: it names nothing readable (not the domain, the caller's state or its redirect).
    const state = url.searchParams.get('state')!;
    expect(state).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    expect(state).not.toContain('st-async');
    expect(url.search).not.toContain(DC.clientSecret);

    const callback = await consent('callback async-me', res.json.url);
    expect(callback.status, callback.text).toBe(302);
    expect(callback.headers['cache-control']).toBe('no-store');
    expect(callback.headers['referrer-policy']).toBe('no-referrer');
    const back = new URL(String(callback.headers.location));
    expect(`${back.origin}${back.pathname}`).toBe(`https://${DC.redirectHost}/done`);
    expect([...back.searchParams.entries()]).toEqual([['state', 'st-async']]);

    expect(world.fake.tokenGrants).toEqual(['authorization_code']);
    expect(world.fake.applied).toEqual([{ flow: 'async', domain: 'async-me.com', host: '', serviceId: 'campaign', groups: null, force: false }]);
    expect(at('async-me.com', 'sl.async-me.com', 'CNAME')).toEqual([MASTER_DOMAIN]);
    expect(at('async-me.com', 'async-me.com', 'TXT')).toEqual([`v=spf1 mx include:${DC.spfInclude} -all`]);

    const stored = await gw().running.services.store.getDomainConnectToken(gw().adminAccount, 'async-me.com');
    expect(stored).toMatchObject({ domain: 'async-me.com', providerId: world.fake.providerId });
    for (const secret of world.fake.issued) expect(stored!.sealed).not.toContain(secret);

    const changes = await keep('changes', getQuery(gw(), '/api/v1/dns.changes', { Domain: 'async-me.com' }, bearer(gw().adminKey)));
    expect(changes.json.changes).toHaveLength(1);
    expect(changes.json.changes[0]).toMatchObject({ provider: 'domainconnect', recordType: 'campaign', status: 'applied', applied: true });
    // The apply after the consent is journaled for the account that asked for the consent (carried in the sealed state).
    expect((await gw().running.services.store.getChange(changes.json.changes[0].id, gw().adminAccount))?.account).toBe(gw().adminAccount);
    expect(changes.json.changes[0].changes).toContainEqual({ action: 'CREATE', type: 'CNAME', name: 'sl.async-me.com', content: MASTER_DOMAIN, ttl: 3600, previous: null });
    expect(changes.json.changes[0].changes).toContainEqual({ action: 'CREATE', type: 'SPFM', name: 'async-me.com', content: `include:${DC.spfInclude}`, ttl: 3600, previous: null });

    const verified = await keep('verify', postJson(gw(), '/api/v1/dns.verify', { Domain: 'async-me.com', RecordType: 'campaign' }, bearer(gw().adminKey)));
    expect(new Set((verified.json.records as { status: string }[]).map((r) => r.status))).toEqual(new Set(['LIVE']));

    // A later dns.set re-applies through the stored authorization, with no credentials: the other record set too.
    const again = await set('set email-gateway', { Domain: 'async-me.com', RecordType: 'email-gateway' });
    expect(again.status, again.text).toBe(200);
    expect(again.json).toEqual({ success: true });
    expect(world.fake.applied.at(-1)).toMatchObject({ flow: 'async', serviceId: 'email-gateway', force: false });
    // GraphQL: provider DOMAINCONNECT, no credentials.
    const viaGraphql = await keep('graphql set', graphql(gw(), print(SetDnsRecordsDocument), { input: { domain: 'async-me.com', provider: 'DOMAINCONNECT', recordType: 'CAMPAIGN' } }, gw().adminKey));
    expect(viaGraphql.json.data.setDnsRecords).toMatchObject({ __typename: 'SetDnsRecordsSuccess', success: true, applied: true });
    expect(viaGraphql.json.data.setDnsRecords.changes).toContainEqual({ action: 'CREATE', type: 'CNAME', name: 'sl.async-me.com', content: MASTER_DOMAIN, ttl: 3600, previous: null });
    const noKey = await keep('graphql set no key', graphql(gw(), print(SetDnsRecordsDocument), { input: { domain: 'async-me.com', provider: 'SANDBOX', recordType: 'CAMPAIGN' } }, gw().adminKey));
    expect(noKey.json.data.setDnsRecords).toEqual({ __typename: 'DnsError', code: 2, message: 'Missing API key' });

    // Such a change is the provider's to undo.
    const revert = await keep('revert', postJson(gw(), '/api/v1/dns.revert', { ChangeID: changes.json.changes[0].id, ApiKey: 'any' }, bearer(gw().adminKey)));
    expect(revert.json.Errors[0]).toMatchObject({ Code: 9 });
    expect(revert.json.Errors[0].Message).toContain('applied by the DNS provider through Domain Connect');
  });

  it('a 409 from the provider is code 9 naming the conflicting records; Force replaces them', async () => {
    const res = await connect('connect conflict', { Domain: 'conflict-me.com', RecordType: 'email-gateway', RedirectURI: `https://${DC.redirectHost}/done`, State: 's2' });
    expect(res.status, res.text).toBe(200);
    const callback = await consent('callback conflict', res.json.url);
    expect(callback.status).toBe(302);
    const back = new URL(String(callback.headers.location));
    expect(back.searchParams.get('state')).toBe('s2');
    expect(back.searchParams.get('error')).toBe('conflict');
    expect(back.searchParams.get('error_description')).toContain('CNAME sl "other-esp.example.net"');
    expect(at('conflict-me.com', 'sl.conflict-me.com', 'CNAME')).toEqual(['other-esp.example.net']);

    const refused = await set('set conflict', { Domain: 'conflict-me.com', RecordType: 'email-gateway' });
    expect(refused.status).toBe(422);
    expect(refused.json.Errors).toEqual([
      { Code: 9, Message: 'Failed to set DNS records: the DNS provider reported conflicting records: CNAME sl "other-esp.example.net" (Force replaces them)' },
    ]);
    const forced = await set('set conflict force', { Domain: 'conflict-me.com', RecordType: 'email-gateway', Force: true });
    expect(forced.status, forced.text).toBe(200);
    expect(world.fake.applied.at(-1)).toMatchObject({ domain: 'conflict-me.com', force: true });
    expect(at('conflict-me.com', 'sl.conflict-me.com', 'CNAME')).toEqual([MASTER_DOMAIN]);
    const journal = await keep('changes conflict', getQuery(gw(), '/api/v1/dns.changes', { Domain: 'conflict-me.com' }, bearer(gw().adminKey)));
    expect((journal.json.changes as { status: string }[]).map((c) => c.status)).toEqual(['applied', 'failed', 'failed']);
  });

  it('an expired access token is refreshed once, stored, and the apply goes through', async () => {
    const res = await connect('connect refresh', { Domain: 'refresh-me.com', RecordType: 'campaign' });
    const callback = await consent('callback refresh', res.json.url);
    expect(callback.status, callback.text).toBe(200);
    expect(callback.json).toEqual({ success: true, domain: 'refresh-me.com', recordType: 'campaign', message: 'the campaign records were applied to refresh-me.com' });
    const grants = () => world.fake.tokenGrants.filter((g) => g === 'refresh_token').length;
    const before = grants();
    const sealedBefore = (await gw().running.services.store.getDomainConnectToken(gw().adminAccount, 'refresh-me.com'))!.sealed;

    // The provider expires the token; the gateway still thinks it valid: the 401 makes it refresh, once.
    world.fake.expireAccessTokens();
    const first = await set('set after expiry', { Domain: 'refresh-me.com', RecordType: 'campaign' });
    expect(first.status, first.text).toBe(200);
    expect(grants()).toBe(before + 1);
    expect((await gw().running.services.store.getDomainConnectToken(gw().adminAccount, 'refresh-me.com'))!.sealed).not.toBe(sealedBefore);
    // The refreshed token is used from then on: no further refresh.
    const second = await set('set with refreshed', { Domain: 'refresh-me.com', RecordType: 'campaign' });
    expect(second.status).toBe(200);
    expect(grants()).toBe(before + 1);

    // Expired again and the refresh refused: code 9, one refresh attempt only, nothing applied.
    world.fake.expireAccessTokens();
    const applied = world.fake.applied.length;
    world.fake.registerClient({ clientId: DC.clientId, clientSecret: 'rotated-at-the-provider', redirectPrefix: `${gw().url}/domain-connect/callback` });
    try {
      const refused = await set('set refresh refused', { Domain: 'refresh-me.com', RecordType: 'campaign' });
      expect(refused.json.Errors[0].Code).toBe(9);
      expect(refused.json.Errors[0].Message).toContain('refused to refresh the Domain Connect authorization (the token endpoint answered HTTP 401 (invalid_client))');
      expect(grants()).toBe(before + 2);
      expect(world.fake.applied.length).toBe(applied);
    } finally {
      world.fake.registerClient({ clientId: DC.clientId, clientSecret: DC.clientSecret, redirectPrefix: `${gw().url}/domain-connect/callback` });
    }
  });

  it('a stored token known to be expired is refreshed before the apply, once, without a 401 first', async () => {
    // Tokens that live less than the gateway's expiry margin: every use finds the stored one expired.
    world.fake.accessTokenTtl = 10;
    try {
      const res = await connect('connect short-lived', { Domain: 'short-lived.com', RecordType: 'campaign' });
      const grantsBefore = world.fake.tokenGrants.length;
      const callback = await consent('callback short-lived', res.json.url);
      expect(callback.status, callback.text).toBe(200);
      // The code, then a refresh before the callback's own apply (the fresh token already inside the margin).
      expect(world.fake.tokenGrants.slice(grantsBefore)).toEqual(['authorization_code', 'refresh_token']);
      const applyPath = `/api/v2/domainTemplates/providers/${DC.providerId}/services/campaign/apply`;
      const posts = () => world.fake.requests.filter((r) => r.method === 'POST' && r.path === applyPath).length;
      const postsBefore = posts();
      const grants = world.fake.tokenGrants.length;
      const applied = await set('set short-lived', { Domain: 'short-lived.com', RecordType: 'campaign' });
      expect(applied.status, applied.text).toBe(200);
      // One refresh, one apply request: the expired token was never sent.
      expect(world.fake.tokenGrants.slice(grants)).toEqual(['refresh_token']);
      expect(posts()).toBe(postsBefore + 1);
    } finally {
      world.fake.accessTokenTtl = 3600;
    }
  });

  it('the callback address is PUBLIC_URL when set (else where the server listens, as above)', async () => {
    const other = await startGateway({ ...world.gatewayEnv, PUBLIC_URL: 'https://dns.mail-platform.net/' });
    try {
      const res = await keep('connect public url', postJson(other, '/api/v1/dns.connect', { Flow: 'async', Domain: 'async-me.com', RecordType: 'campaign' }, bearer(other.adminKey)));
      expect(res.status, res.text).toBe(200);
      expect(new URL(res.json.url).searchParams.get('redirect_uri')).toBe('https://dns.mail-platform.net/domain-connect/callback');
    } finally {
      await other.close();
    }
  });

  it('without a stored authorization, or where the provider has no async flow, the answer is code 11; bad callbacks are refused', async () => {
    const none = await set('set none', { Domain: 'never-connected.com', RecordType: 'campaign' });
    expect(none.json.Errors).toEqual([{ Code: 11, Message: 'Domain Connect is not available for this domain: no Domain Connect authorization is stored for never-connected.com: run dns.connect with Flow=async first' }]);
    const dry = await set('set dry', { Domain: 'async-me.com', RecordType: 'campaign', DryRun: true });
    expect(dry.json.Errors[0]).toMatchObject({ Code: 400 });
    const syncOnly = await connect('connect sync-only', { Domain: 'sync-only.com', RecordType: 'campaign' });
    expect(syncOnly.json.Errors).toEqual([{ Code: 11, Message: 'Domain Connect is not available for this domain: the DNS provider Fake DC Provider supports only the synchronous flow for this domain' }]);
    // Another provider still needs its ApiKey.
    const sandbox = await keep('sandbox no key', postJson(gw(), '/api/v1/dns.set', { Provider: 'sandbox', Domain: 'async-me.com', RecordType: 'campaign' }, bearer(gw().adminKey)));
    expect(sandbox.json.Errors).toEqual([{ Code: 2, Message: 'Missing API key' }]);

    for (const [label, query] of [
      ['no state', '?code=abc'],
      ['forged state', '?code=abc&state=v1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
      ['garbage', '?state=hello'],
    ] as const) {
      const res = await keep(`callback ${label}`, http(`${gw().url}/domain-connect/callback${query}`));
      expect(res.status, label).toBe(400);
      expect(res.json).toEqual({ success: false, message: 'The Domain Connect callback is invalid or has expired: start again with dns.connect' });
    }
    // The provider says no: the caller's redirect gets the OAuth error and its state.
    const res = await connect('connect denied', { Domain: 'async-me.com', RecordType: 'campaign', RedirectURI: `https://${DC.redirectHost}/done`, State: 's3' });
    const denied = await keep('callback denied', http(`${gw().url}/domain-connect/callback?error=access_denied&state=${encodeURIComponent(new URL(res.json.url).searchParams.get('state')!)}`));
    expect(denied.status).toBe(302);
    expect(Object.fromEntries(new URL(String(denied.headers.location)).searchParams)).toEqual({ error: 'access_denied', error_description: 'the DNS provider did not grant access (access_denied)', state: 's3' });
  });

  it('no token, code or client secret appears in any reply, log line, journal entry or the database file', async () => {
    // The OAuth client secret, every code and token the provider issued, and the gateway's own keys.
    const keyLines = world.signingKeyPem.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----'));
    const secrets = [DC.clientSecret, ...world.fake.issued, world.tokenKey, ...keyLines];
    expect(world.fake.issued.length).toBeGreaterThanOrEqual(9);
    expect(replies.length).toBeGreaterThan(15);
    const contains = (text: string, secret: string) => text.includes(secret) || text.includes(encodeURIComponent(secret));
    for (const { label, res } of replies) {
      const text = `${res.text}\n${JSON.stringify(res.headers)}`;
      for (const secret of secrets) expect(contains(text, secret), `${secret.slice(0, 8)}… in reply "${label}"`).toBe(false);
    }
    const lines = gw().logLines;
    expect(lines.some((l) => l.includes('dns records applied through Domain Connect'))).toBe(true);
    expect(lines.some((l) => l.includes('"path":"/domain-connect/callback"'))).toBe(true);
    for (const line of lines) for (const secret of secrets) expect(contains(line, secret), `${secret.slice(0, 8)}… in log line ${line.slice(0, 200)}`).toBe(false);
    const journal = JSON.stringify(await gw().running.services.store.listChanges({ account: null, limit: 1000 }));
    await gw().close();
    const files = readdirSync(dir).map((f) => readFileSync(path.join(dir, f)).toString('latin1'));
    expect(files.join('').length).toBeGreaterThan(0);
    for (const secret of secrets) {
      expect(contains(journal, secret)).toBe(false);
      for (const file of files) expect(contains(file, secret), `${secret.slice(0, 8)}… in the database`).toBe(false);
    }
  });
});
