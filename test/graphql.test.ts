/**
 * The GraphQL contract over loopback HTTP: the client documents (test/graphql/operations.graphql, typed by codegen)
 * run unchanged; failures map to DnsError codes or to GraphQL errors with the documented extension codes and HTTP
 * statuses; the printed schema is current; GraphiQL is served from installed packages only.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { print, printSchema } from 'graphql';
import { schema } from '../schema/index.js';
import { AuthorizeDnsDocument, DnsProviderDocument, SetDnsRecordsDocument } from './graphql/generated/graphql.js';
import { graphql, http } from './helpers/gateway.js';
import { SECRETS, startWorld, type World } from './helpers/world.js';

let world: World;
let gw: World['gateway'];

beforeAll(async () => {
  world = await startWorld();
  gw = world.gateway;
});
afterAll(() => world.close());

const DNS_PROVIDER = print(DnsProviderDocument);
const AUTHORIZE = print(AuthorizeDnsDocument);
const SET = print(SetDnsRecordsDocument);

describe('documents', () => {
  it('dnsProvider detects the provider with its name servers', async () => {
    const res = await graphql(gw, DNS_PROVIDER, { domain: 'example.com' }, gw.adminKey);
    expect(res.status).toBe(200);
    expect(res.json.data.dnsProvider).toEqual({
      __typename: 'DnsProviderDetection',
      provider: 'cloudflare',
      supported: true,
      nameservers: ['ada.ns.cloudflare.com', 'bob.ns.cloudflare.com'],
    });
    expect(res.headers['ratelimit-limit']).toBe('100');
  });

  it('reports Route 53 (awsdns name servers) with supported: true', async () => {
    const res = await graphql(gw, DNS_PROVIDER, { domain: 'mail.example.co.uk' }, gw.adminKey);
    expect(res.json.data.dnsProvider).toMatchObject({ __typename: 'DnsProviderDetection', provider: 'route53', supported: true });
  });

  it('returns DnsError with the REST code for bad input and unknown delegations', async () => {
    const invalid = await graphql(gw, DNS_PROVIDER, { domain: '127.0.0.1' }, gw.adminKey);
    expect(invalid.json.data.dnsProvider).toMatchObject({ __typename: 'DnsError', code: 1 });
    const unknown = await graphql(gw, DNS_PROVIDER, { domain: 'obscure-host.com' }, gw.adminKey);
    expect(unknown.json.data.dnsProvider).toEqual({ __typename: 'DnsError', code: 2, message: 'Unable to determine DNS provider for this domain' });
  });

  it('authorizeDns succeeds with good credentials and gives code 9 with the reason for bad ones', async () => {
    const ok = await graphql(gw, AUTHORIZE, { input: { domain: 'example.com', provider: 'CLOUDFLARE', credentials: { apiKey: SECRETS.cloudflareToken } } }, gw.adminKey);
    expect(ok.json.data.authorizeDns).toEqual({ __typename: 'AuthorizeDnsSuccess', success: true });
    const bad = await graphql(gw, AUTHORIZE, { input: { domain: 'example.com', provider: 'GODADDY', credentials: { apiKey: SECRETS.godaddyDeniedKey, apiSecret: SECRETS.godaddyDeniedSecret } } }, gw.adminKey);
    expect(bad.json.data.authorizeDns).toMatchObject({ __typename: 'DnsError', code: 9 });
    expect(bad.json.data.authorizeDns.message).toContain('not eligible for API access');
    expect(bad.text).not.toContain(SECRETS.godaddyDeniedSecret);
  });

  it('authorizeDns reports the lowest applicable code (GoDaddy without a secret → 5)', async () => {
    const res = await graphql(gw, AUTHORIZE, { input: { domain: 'bad domain', provider: 'GODADDY', credentials: { apiKey: 'k' } } }, gw.adminKey);
    expect(res.json.data.authorizeDns).toMatchObject({ __typename: 'DnsError', code: 1 });
    const secret = await graphql(gw, AUTHORIZE, { input: { domain: 'example.com', provider: 'GODADDY', credentials: { apiKey: 'k' } } }, gw.adminKey);
    expect(secret.json.data.authorizeDns).toMatchObject({ __typename: 'DnsError', code: 5 });
  });

  it('setDnsRecords plans on a dry run, applies, then converges (sandbox)', async () => {
    const input = { domain: 'graphql-sandbox.com', provider: 'SANDBOX', recordType: 'EMAIL_GATEWAY', credentials: { apiKey: 'any' } };
    const dry = await graphql(gw, SET, { input: { ...input, dryRun: true } }, gw.adminKey);
    const plan = dry.json.data.setDnsRecords;
    expect(plan).toMatchObject({ __typename: 'SetDnsRecordsSuccess', success: true, applied: false });
    expect(plan.changes.length).toBeGreaterThan(0);
    for (const change of plan.changes) expect(change.name.endsWith('graphql-sandbox.com')).toBe(true);
    expect(await gw.running.services.store.readSandboxZone('graphql-sandbox.com')).toEqual([]);

    const applied = await graphql(gw, SET, { input }, gw.adminKey);
    expect(applied.json.data.setDnsRecords).toMatchObject({ applied: true, changes: plan.changes });
    const again = await graphql(gw, SET, { input }, gw.adminKey);
    expect(again.json.data.setDnsRecords.changes.map((c: { action: string }) => c.action)).toEqual(plan.changes.map(() => 'KEEP'));
  });
});

describe('caller errors', () => {
  it('answers UNAUTHENTICATED with HTTP 401 without a key', async () => {
    const res = await graphql(gw, DNS_PROVIDER, { domain: 'example.com' });
    expect(res.status).toBe(401);
    expect(res.json.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('answers FORBIDDEN with HTTP 403 for a key without User.Update', async () => {
    const weak = await gw.createKey({ permissions: ['Reports.Read'] });
    const res = await graphql(gw, DNS_PROVIDER, { domain: 'example.com' }, weak);
    expect(res.status).toBe(403);
    expect(res.json.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('accepts a session id as the bearer token', async () => {
    const { createUser } = await import('../src/auth/auth-service.js');
    await createUser(gw.running.services.store, { username: 'gql-user', password: 'a long enough password', permissions: ['User.Update'] });
    const login = await http(`${gw.url}/api/v1/user.login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ Username: 'gql-user', Password: 'a long enough password' }) });
    const res = await graphql(gw, DNS_PROVIDER, { domain: 'example.com' }, login.json.SessionID);
    expect(res.json.data.dnsProvider.provider).toBe('cloudflare');
  });

  it('refuses a simple GET without a CSRF-safe header (csrf prevention on)', async () => {
    const res = await http(`${gw.url}/graphql?query=${encodeURIComponent('{ __typename }')}`);
    expect(res.status).toBe(403);
  });

  it('refuses alias-heavy documents before running them', async () => {
    const aliases = Array.from({ length: 30 }, (_, i) => `a${i}: dnsProvider(domain: "example.com") { __typename }`).join(' ');
    const res = await graphql(gw, `{ ${aliases} }`, {}, gw.adminKey);
    expect(res.json.data).toBeUndefined();
    expect(res.json.errors[0].message).toMatch(/Aliases limit/);
  });
});

describe('schema and GraphiQL', () => {
  it('schema/schema.graphql is the schema the server serves (run `npm run codegen` when this fails)', async () => {
    const committed = await readFile(new URL('../schema/schema.graphql', import.meta.url), 'utf8');
    expect(committed.trim()).toBe(printSchema(schema).trim());
  });

  it('serves GraphiQL from installed assets only: a small page plus cacheable files, no CDN', async () => {
    const page = await http(`${gw.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.text.length).toBeLessThan(5000);
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) expect(asset.startsWith('/graphiql/')).toBe(true);
    expect(page.text).not.toMatch(/https?:\/\//);
    for (const asset of [...assets, '/graphiql/editor.worker.js', '/graphiql/json.worker.js', '/graphiql/graphql.worker.js']) {
      const res = await http(`${gw.url}${asset}`);
      expect(res.status, asset).toBe(200);
      expect(res.headers['cache-control']).toMatch(/max-age/);
      expect(res.text).not.toMatch(/unpkg\.com|cdn\.jsdelivr|cdnjs/);
      const revalidated = await http(`${gw.url}${asset}`, { headers: { 'if-none-match': String(res.headers.etag) } });
      expect(revalidated.status).toBe(304);
    }
  });
});
