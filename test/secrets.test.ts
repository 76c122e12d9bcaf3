/**
 * Secret scan: one full run through REST (v1 and /api.php; JSON, form, multipart, GET) and GraphQL that uses every
 * secret — the providers' keys, secrets and users, wrong ones too, our API keys, a password (right and wrong) and a
 * session id — in good and bad requests, with providers failing and echoing the caller's key in their error bodies.
 * Then every reply body and header, every log line (at trace level), the journal and the SQLite database file are
 * searched for each secret. The one allowed appearance is the session id in the user.login reply that issues it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, getQuery, graphql, http, postForm, postJson, postMultipart, startGateway, type HttpResult } from './helpers/gateway.js';
import { SECRETS, startWorld, type World } from './helpers/world.js';
import { createUser } from '../src/auth/auth-service.js';
import { createLogger, scrubText, scrubValue } from '../src/logger.js';
import { Writable } from 'node:stream';

const PASSWORD = 'correct-Horse-battery-staple-91';
const WRONG_PASSWORD = 'wrong-Horse-battery-staple-17';
const WRONG = {
  cloudflareToken: 'cfWRONGsecret0000000000000000000000000000',
  godaddySecret: 'gds_WRONGsecret_000001',
  namecheapKey: 'ncWRONGsecret00000000000000',
  ourKey: 'dgk_0123456789abcdef_WRONGsecretWRONGsecretWRONGsecretWRONGsec00',
};

let world: World;
let dir: string;
const replies: { label: string; res: HttpResult }[] = [];

/** Every secret this run uses, by name. Filled as keys and sessions are created. */
const secrets: Record<string, string> = { ...SECRETS, password: PASSWORD, wrongPassword: WRONG_PASSWORD, ...Object.fromEntries(Object.entries(WRONG).map(([k, v]) => [`wrong_${k}`, v])) };
let sessionId = '';

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'dns-gateway-secrets-'));
  world = await startWorld({ DATABASE_URL: `sqlite:${path.join(dir, 'gateway.db')}`, LOG_LEVEL: 'trace', RATE_LIMIT_MAX: '100000', AUTH_FAILURE_LIMIT: '100000' });
  const gw = world.gateway;
  const userKey = await gw.createKey({ name: 'scan-user', permissions: ['User.Update'] });
  const readOnlyKey = await gw.createKey({ name: 'scan-readonly', permissions: ['Subscribers.Get'] });
  secrets.adminKey = gw.adminKey;
  secrets.userKey = userKey;
  secrets.readOnlyKey = readOnlyKey;
  await createUser(gw.running.services.store, { username: 'scanner', password: PASSWORD, permissions: ['User.Update'] });

  const record = async (label: string, pending: Promise<HttpResult>) => replies.push({ label, res: await pending });

  // Logins: a wrong password, then the right one (its reply is the one place the session id may appear).
  await record('login wrong', postJson(gw, '/api/v1/user.login', { Username: 'scanner', Password: WRONG_PASSWORD }));
  await record('login wrong form', postForm(gw, '/api.php', { Command: 'user.login', Username: 'scanner', Password: WRONG_PASSWORD }));
  const login = await postJson(gw, '/api/v1/user.login', { Username: 'scanner', Password: PASSWORD });
  sessionId = login.json.SessionID;
  expect(sessionId).toMatch(/^dgs_/);
  secrets.sessionId = sessionId;

  const cf = { Domain: 'example.com', Provider: 'cloudflare', ApiKey: SECRETS.cloudflareToken };
  const cfWrong = { ...cf, ApiKey: WRONG.cloudflareToken };
  const cfReadOnly = { ...cf, ApiKey: SECRETS.cloudflareReadOnly };
  const gd = { Domain: 'example.com', Provider: 'godaddy', ApiKey: SECRETS.godaddyKey, ApiSecret: SECRETS.godaddySecret };
  const gdWrong = { ...gd, ApiSecret: WRONG.godaddySecret };
  const gdDenied = { ...gd, ApiKey: SECRETS.godaddyDeniedKey, ApiSecret: SECRETS.godaddyDeniedSecret };
  const nc = { Domain: 'example.com', Provider: 'namecheap', ApiKey: SECRETS.namecheapKey, ApiUser: SECRETS.namecheapUser, Username: SECRETS.namecheapUser };
  const ncWrong = { ...nc, ApiKey: WRONG.namecheapKey };
  const credentialSets = { cf, cfWrong, cfReadOnly, gd, gdWrong, gdDenied, nc, ncWrong };

  // Each credential set, through each command and each encoding, authenticated each way.
  const callers: [string, Record<string, string>, Record<string, string>][] = [
    ['bearer admin', bearer(gw.adminKey), {}],
    ['APIKey param', {}, { APIKey: userKey }],
    ['SessionID param', {}, { SessionID: sessionId }],
    ['bearer session', bearer(sessionId), {}],
  ];
  for (const [setName, creds] of Object.entries(credentialSets)) {
    for (const [callerName, headers, params] of callers) {
      const label = `${setName} ${callerName}`;
      await record(`${label} authorize json`, postJson(gw, '/api/v1/dns.authorize', { ...creds, ...params }, headers));
      await record(`${label} set dry form`, postForm(gw, '/api/v1/dns.set', { ...creds, ...params, RecordType: 'campaign', DryRun: 'true' }, headers));
    }
    await record(`${setName} authorize multipart`, postMultipart(gw, '/api/v1/dns.authorize', creds, bearer(userKey)));
    await record(`${setName} authorize GET`, getQuery(gw, '/api/v1/dns.authorize', { ...creds, APIKey: userKey }));
    await record(`${setName} api.php GET`, getQuery(gw, '/api.php', { Command: 'dns.authorize', ...creds, APIKey: userKey, ResponseFormat: 'XML' }));
    await record(`${setName} set`, postJson(gw, '/api/v1/dns.set', { ...creds, RecordType: 'email-gateway' }, bearer(userKey)));
    await record(`${setName} readonly key`, postJson(gw, '/api/v1/dns.set', { ...creds, RecordType: 'campaign' }, bearer(readOnlyKey)));
  }

  // Bad requests carrying secrets: our wrong key, malformed bodies, bad values next to good credentials.
  await record('wrong our key', postJson(gw, '/api/v1/dns.authorize', cf, bearer(WRONG.ourKey)));
  await record('wrong our key param', getQuery(gw, '/api.php', { Command: 'dns.authorize', ...cf, APIKey: WRONG.ourKey }));
  await record('bad domain with creds', postJson(gw, '/api/v1/dns.set', { ...gd, Domain: 'localhost', RecordType: 'campaign' }, bearer(userKey)));
  await record('bad flag with creds', postForm(gw, '/api/v1/dns.set', { ...nc, RecordType: 'campaign', Force: 'perhaps' }, bearer(userKey)));
  await record('broken JSON with creds', postJsonRaw(gw.url, `{"ApiKey":"${SECRETS.cloudflareToken}","ApiSecret":"${SECRETS.godaddySecret}",`, userKey));
  await record('unknown command with creds', postJson(gw, '/api/v1/dns.nope', { ...gd }, bearer(userKey)));

  // Providers failing, echoing the caller's credentials back in their error bodies: every credential field of each
  // provider, right and wrong ones, through an error whose text the adapter repeats to the caller (checked below).
  for (const [label, creds] of [['nc', nc], ['ncWrong', ncWrong]] as const) {
    world.namecheap.failNext({ kind: 'echo_credentials' });
    await record(`echo namecheap ${label} authorize`, postJson(gw, '/api/v1/dns.authorize', creds, bearer(userKey)));
  }
  // The write's own error (the read before it succeeds), on the legacy transport.
  world.namecheap.failNext({ kind: 'echo_credentials' }, 1, { command: 'namecheap.domains.dns.setHosts' });
  await record('echo namecheap nc set', postForm(gw, '/api.php', { Command: 'dns.set', ...nc, RecordType: 'campaign', APIKey: userKey }));
  for (const [label, creds] of [['cf', cf], ['cfWrong', cfWrong]] as const) {
    world.cloudflare.failNext({ kind: 'echo_credentials' });
    await record(`echo cloudflare ${label} authorize`, postJson(gw, '/api/v1/dns.authorize', creds, bearer(userKey)));
  }
  for (const [label, creds] of [['gd', gd], ['gdWrong', gdWrong], ['gdDenied', gdDenied]] as const) {
    for (const status of [403, 422] as const) {
      world.godaddy.failNext({ kind: 'echo_credentials', status });
      await record(`echo godaddy ${label} ${status} authorize`, postJson(gw, '/api/v1/dns.authorize', creds, bearer(userKey)));
    }
  }
  world.namecheap.failNext({ kind: 'error', number: '2011280', text: `API Key is invalid: ${SECRETS.namecheapKey} for ${SECRETS.namecheapUser}` });
  await record('namecheap echoes key (error)', postJson(gw, '/api/v1/dns.authorize', nc, bearer(userKey)));
  world.namecheap.failNext({ kind: 'http', status: 500, body: `<html>ApiKey=${SECRETS.namecheapKey}&ApiUser=${SECRETS.namecheapUser}</html>` });
  await record('namecheap echoes key (html)', postJson(gw, '/api/v1/dns.authorize', nc, bearer(userKey)));
  world.cloudflare.failNext({ kind: 'html', status: 502 });
  await record('cloudflare 502', postJson(gw, '/api/v1/dns.set', { ...cf, RecordType: 'campaign' }, bearer(userKey)));
  world.cloudflare.failNext({ kind: 'drop' }, { times: 5 });
  await record('cloudflare drop', postJson(gw, '/api/v1/dns.authorize', cf, bearer(userKey)));
  world.godaddy.failNext({ status: 500, times: 5 });
  await record('godaddy 500', postJson(gw, '/api/v1/dns.authorize', gd, bearer(userKey)));

  // GraphQL: the same credential sets, authenticated by key and by session, plus a wrong key.
  const AUTHORIZE = 'mutation($i: AuthorizeDnsInput!) { authorizeDns(input: $i) { __typename ... on DnsError { code message } } }';
  const SET = 'mutation($i: SetDnsRecordsInput!) { setDnsRecords(input: $i) { __typename ... on SetDnsRecordsSuccess { applied changes { name content } } ... on DnsError { code message } } }';
  for (const [setName, c] of Object.entries(credentialSets)) {
    const input = {
      domain: c.Domain,
      provider: c.Provider.toUpperCase(),
      credentials: { apiKey: c.ApiKey, apiSecret: 'ApiSecret' in c ? c.ApiSecret : undefined, apiUser: 'ApiUser' in c ? c.ApiUser : undefined, username: 'Username' in c ? c.Username : undefined },
    };
    for (const token of [userKey, sessionId, WRONG.ourKey]) {
      await record(`gql ${setName} authorize`, graphql(gw, AUTHORIZE, { i: input }, token));
      await record(`gql ${setName} set dry`, graphql(gw, SET, { i: { ...input, recordType: 'CAMPAIGN', dryRun: true } }, token));
    }
  }
  await record('gql bad variable with creds', graphql(gw, AUTHORIZE, { i: { domain: ['x'], provider: 'CLOUDFLARE', credentials: { apiKey: SECRETS.cloudflareToken } } }, userKey));
  await record('gql broken JSON with creds', gqlRaw(gw.url, `{"query":"{ __typename }","variables":{"x": ${SECRETS.cloudflareToken}}}`, userKey));
  await record('gql syntax error with creds', graphql(gw, `mutation { authorizeDns(input: { apiKey: "${SECRETS.cloudflareToken}" `, {}, userKey));
}, 120_000);

afterAll(async () => {
  await world?.close();
  rmSync(dir, { recursive: true, force: true });
});

function postJsonRaw(url: string, body: string, key: string) {
  return import('./helpers/gateway.js').then(({ http }) =>
    http(`${url}/api/v1/dns.authorize`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(key) }, body }),
  );
}

function gqlRaw(url: string, body: string, key: string) {
  return import('./helpers/gateway.js').then(({ http }) =>
    http(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(key) }, body }),
  );
}

/** Where a secret appears in `text`, as itself or percent-encoded. */
const contains = (text: string, secret: string) => text.includes(secret) || text.includes(encodeURIComponent(secret));

describe('secret scan of a full run', () => {
  it('the run exercised what it should: successes, failures of each kind, and request log lines', () => {
    const statuses = new Set(replies.map((r) => r.res.status));
    for (const status of [200, 400, 401, 403, 422, 502]) expect(statuses, `status ${status}`).toContain(status);
    expect(replies.length).toBeGreaterThan(150);
    // The secrets really travelled: the providers received them, so their absence below means something.
    expect(world.namecheap.calls.some((c) => c.params.apikey === SECRETS.namecheapKey)).toBe(true);
    expect(world.godaddy.calls.length).toBeGreaterThan(0);
    const requestLines = world.gateway.logLines.filter((l) => l.includes('"msg":"request"'));
    expect(requestLines.length).toBeGreaterThanOrEqual(replies.length);
    for (const line of requestLines) expect(JSON.parse(line)).toEqual(expect.objectContaining({ method: expect.any(String), path: expect.any(String), status: expect.any(Number), durationMs: expect.any(Number) }));
    // The query string (APIKey, SessionID) is never part of the logged path.
    expect(requestLines.some((l) => l.includes('?'))).toBe(false);
  });

  it('no reply body or header contains any secret (the session id only in the login reply that issues it)', () => {
    for (const { label, res } of replies) {
      const text = `${res.text}\n${JSON.stringify(res.headers)}`;
      for (const [name, secret] of Object.entries(secrets)) {
        expect(contains(text, secret), `${name} in reply "${label}"`).toBe(false);
      }
    }
  });

  it("providers' error texts that echo the credentials reach the caller, with every credential value redacted", () => {
    const echoes = replies.filter((r) => r.label.startsWith('echo ') || r.label === 'namecheap echoes key (error)');
    expect(echoes).toHaveLength(12);
    for (const { label, res } of echoes) {
      // The provider's own text is in the reply (so the scan above really covered it), the values are not.
      expect(res.text, label).toMatch(/Invalid ApiUser \[redacted\]|could not use Bearer \[redacted\]|\[redacted\] and secret \[redacted\]|API Key is invalid: \[redacted\] for \[redacted\]/);
    }
  });

  it('a GraphQL body that is not JSON is answered 400 without quoting it (V8 quotes the text around the error)', () => {
    const broken = replies.find((r) => r.label === 'gql broken JSON with creds')!.res;
    expect(broken.status).toBe(400);
    expect(broken.text).not.toContain(SECRETS.cloudflareToken.slice(0, 8));
  });

  it('no log line contains any secret', () => {
    const lines = world.gateway.logLines;
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      for (const [name, secret] of Object.entries(secrets)) expect(contains(line, secret), `${name} in log line ${line.slice(0, 300)}`).toBe(false);
    }
  });

  it('neither the journal nor the database file holds any secret', async () => {
    // No catch: a store that cannot list would make the scan below vacuous. The run applied changes, so there are some.
    const entries = await world.gateway.running.services.store.listChanges({ limit: 1000 });
    expect(entries.length).toBeGreaterThan(0);
    const journal = JSON.stringify(entries);
    await world.gateway.close();
    const files = readdirSync(dir).map((f) => readFileSync(path.join(dir, f)).toString('latin1'));
    expect(files.join('').length).toBeGreaterThan(0);
    for (const [name, secret] of Object.entries(secrets)) {
      expect(contains(journal, secret), `${name} in the journal`).toBe(false);
      for (const file of files) expect(contains(file, secret), `${name} in the database`).toBe(false);
    }
  });
});

describe('the access log', () => {
  it('never writes a credential a client put in the request path (the path is logged, the query string never)', async () => {
    const gw = await startGateway();
    try {
      const secret = 'PATHsecret0123456789abcdefghij';
      const paths = [
        `/api/v1/dns.set;ApiKey=${secret}`,
        `/api/v1/dns.provider/APIKey=${secret}`,
        `/api/v1/dns.set;token:${secret}`,
        `/graphql;Bearer%20${secret}`,
        `/api/v1/dns.set;ApiKey%3D${secret}`,
        `/api.php/ApiSecret=${secret}?Command=dns.provider`,
      ];
      for (const p of paths) await http(`${gw.url}${p}`, { headers: bearer(gw.adminKey) });
      const lines = gw.logLines.filter((l) => l.includes('"msg":"request"'));
      // One access line per request, each naming its path with the credential blanked.
      expect(lines.length).toBeGreaterThanOrEqual(paths.length);
      expect(lines.filter((l) => l.includes('[redacted]'))).toHaveLength(paths.length);
      expect(lines.some((l) => l.includes('"path":"/api/v1/dns.set;ApiKey=[redacted]"'))).toBe(true);
      for (const line of gw.logLines) expect(line, line).not.toContain(secret);
    } finally {
      await gw.close();
    }
  });
});

describe('logger redaction', () => {
  const capture = () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _e, done) {
        lines.push(String(chunk));
        done();
      },
    });
    return { lines, logger: createLogger({ level: 'trace', destination }) };
  };

  it('blanks every credential field at any depth, in errors and their causes, and credential fragments in text', () => {
    const { lines, logger } = capture();
    const secret = 'S3CRET-value-xyz';
    const cause = Object.assign(new Error(`upstream said ApiKey=${secret}`), { config: { headers: { Authorization: `sso-key ${secret}:${secret}` } } });
    logger.error(
      {
        err: new Error(`failed with Bearer ${secret}`, { cause }),
        apiKey: secret,
        input: { credentials: { apiKey: secret }, deeper: { list: [{ api_secret: secret, 'X-Auth-Key': secret, ApiUser: secret }] } },
        req: { headers: { authorization: `Bearer ${secret}`, cookie: `sid=${secret}` } },
        params: new Map([['APIKey', secret], ['Password', secret]]),
        oauth: { access_token: secret, refresh_token: secret, refreshToken: secret, client_secret: secret, clientSecret: secret },
        oauthBody: `grant_type=refresh_token&refresh_token=${secret}&client_secret=${secret}`,
        url: `https://api.namecheap.com/xml.response?ApiUser=u&ApiKey=${secret}&Command=x`,
        domain: 'example.com',
      },
      `message with token=${secret}`,
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(secret);
    const entry = JSON.parse(lines[0]!);
    expect(entry.domain).toBe('example.com');
    expect(entry.url).toContain('Command=x');
    expect(entry.err.message).toContain('Bearer [redacted]');
  });

  it('scrubText and scrubValue leave ordinary text and data alone', () => {
    expect(scrubText('dns records applied to example.com (3 writes)')).toBe('dns records applied to example.com (3 writes)');
    expect(scrubValue({ provider: 'godaddy', zone: 'example.com', writes: 3, nested: [1, 'a'] })).toEqual({ provider: 'godaddy', zone: 'example.com', writes: 3, nested: [1, 'a'] });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(scrubValue(cyclic)).toEqual({ a: 1, self: '[circular]' });
  });
});
