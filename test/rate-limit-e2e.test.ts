/**
 * The per-caller budget over real HTTP: 100 requests per 60 s, REST and GraphQL drawing on one budget, each DNS
 * field of a GraphQL operation counted (aliases included), another key unaffected, and the failed-auth throttle.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearer, getQuery, graphql, http, postJson } from './helpers/gateway.js';
import { startWorld, type World } from './helpers/world.js';

let world: World;
let gw: World['gateway'];

beforeEach(async () => {
  world = await startWorld({ AUTH_FAILURE_LIMIT: '5' });
  gw = world.gateway;
});
afterEach(() => world.close());

const DETECT = 'query ($d: String!) { dnsProvider(domain: $d) { __typename } }';

describe('per-key budget', () => {
  it('answers the 101st request with 429, Retry-After and the platform body; REST and GraphQL share it', async () => {
    const key = await gw.createKey();
    for (let i = 0; i < 100; i++) {
      const res = i % 2 === 0
        ? await getQuery(gw, '/api/v1/dns.provider', { Domain: 'example.com' }, bearer(key))
        : await graphql(gw, DETECT, { d: 'example.com' }, key);
      expect(res.status, `request ${i + 1}`).toBe(200);
      expect(Number(res.headers['ratelimit-remaining'])).toBe(99 - i);
    }
    const rest = await getQuery(gw, '/api/v1/dns.provider', { Domain: 'example.com' }, bearer(key));
    expect(rest.status).toBe(429);
    const retryAfter = Number(rest.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(rest.json).toEqual({ Errors: [{ Code: 429, Message: 'Rate limit exceeded' }], RetryAfter: retryAfter });
    expect(rest.headers['ratelimit-remaining']).toBe('0');

    const legacy = await postJson(gw, '/api.php', { Command: 'dns.provider', Domain: 'example.com', APIKey: key });
    expect(legacy.status).toBe(429);

    const gql = await graphql(gw, DETECT, { d: 'example.com' }, key);
    expect(gql.status).toBe(429);
    expect(gql.json.errors[0].extensions.code).toBe('RATE_LIMITED');
    expect(Number(gql.headers['retry-after'])).toBeGreaterThanOrEqual(1);

    const other = await gw.createKey();
    const unaffected = await getQuery(gw, '/api/v1/dns.provider', { Domain: 'example.com' }, bearer(other));
    expect(unaffected.status).toBe(200);
    expect(unaffected.headers['ratelimit-remaining']).toBe('99');
  });

  it('counts every aliased DNS field of one GraphQL document', async () => {
    const key = await gw.createKey();
    const five = `{ ${Array.from({ length: 5 }, (_, i) => `a${i}: dnsProvider(domain: "example.com") { __typename }`).join(' ')} }`;
    const res = await graphql(gw, five, {}, key);
    expect(res.status).toBe(200);
    expect(res.headers['ratelimit-remaining']).toBe('95');
    for (let i = 0; i < 19; i++) expect((await graphql(gw, five, {}, key)).status).toBe(200);
    const over = await graphql(gw, '{ x: dnsProvider(domain: "example.com") { __typename } }', {}, key);
    expect(over.status).toBe(429);
  });

  it('runs with a configured limit (RATE_LIMIT_MAX / RATE_LIMIT_WINDOW_SECONDS)', async () => {
    await world.close();
    world = await startWorld({ RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_SECONDS: '2' });
    gw = world.gateway;
    const key = await gw.createKey();
    for (let i = 0; i < 3; i++) expect((await getQuery(gw, '/api/v1/dns.provider', { Domain: 'example.com' }, bearer(key))).status).toBe(200);
    const over = await getQuery(gw, '/api/v1/dns.provider', { Domain: 'example.com' }, bearer(key));
    expect(over.status).toBe(429);
    expect(Number(over.headers['retry-after'])).toBeLessThanOrEqual(2);
  });
});

describe('failed authentication throttle', () => {
  it('answers 429 after AUTH_FAILURE_LIMIT failures from one address, even for a good key', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await getQuery(gw, '/api/v1/dns.provider', { Domain: 'example.com' }, bearer(`dgk_0123456789abcdef_guess${i}`));
      expect(res.status).toBe(401);
    }
    const blocked = await getQuery(gw, '/api/v1/dns.provider', { Domain: 'example.com' }, bearer(gw.adminKey));
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const login = await http(`${gw.url}/api/v1/user.login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"Username":"a","Password":"b"}' });
    expect(login.status).toBe(429);
  });
});
