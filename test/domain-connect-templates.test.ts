/**
 * The templates GET /domain-connect/templates/<serviceId>.json serves for onboarding at DNS providers: a structural
 * check against the fields Domain Connect requires ("Template Definition", "Template Record" in the spec) and the
 * Templates repository's rules (README "Template Quality Guidelines"; dc-template-linter), and a behavioural one: the
 * records the template writes on an empty zone, as a DNS provider applies it (SPFM merged as "SPF Record Merging"
 * says), are exactly the records dns.set creates there (a sandbox dry run), with and without the optional variables.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, http, MASTER_DOMAIN, postJson, startGateway, type Gateway } from './helpers/gateway.js';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const DC_ENV = {
  DOMAIN_CONNECT_PROVIDER_ID: 'mail-platform.net',
  DOMAIN_CONNECT_PRIVATE_KEY: PEM,
  DOMAIN_CONNECT_SYNC_REDIRECT_DOMAIN: 'app.mail-platform.net,www.mail-platform.net',
};
const FULL = { ...DC_ENV, MAIL_SPF_INCLUDE: '_spf.mail-platform.net', MAIL_DMARC_RUA: 'dmarc@mail-platform.net', MAIL_SUBDOMAIN: 'bounce', MAIL_DKIM_SELECTOR: 'k7' };

/** Variables the gateway's configuration supplies, by the name the templates use. */
const configured = (env: Record<string, string>): Record<string, string> => ({
  MAIL_MASTER_DOMAIN: MASTER_DOMAIN,
  MAIL_SUBDOMAIN: env.MAIL_SUBDOMAIN ?? 'sl',
  MAIL_DKIM_SELECTOR: env.MAIL_DKIM_SELECTOR ?? 'key1',
  MAIL_TRACK_PREFIX: 'track',
  ...(env.MAIL_SPF_INCLUDE ? { MAIL_SPF_INCLUDE: env.MAIL_SPF_INCLUDE } : {}),
  ...(env.MAIL_DMARC_RUA ? { MAIL_DMARC_RUA: env.MAIL_DMARC_RUA } : {}),
});

interface ServedRecord {
  type: string;
  groupId?: string;
  host: string;
  pointsTo?: string;
  data?: string;
  spfRules?: string;
  ttl?: number;
  priority?: number;
  txtConflictMatchingMode?: string;
  txtConflictMatchingPrefix?: string;
  essential?: string;
}

const gateways: Gateway[] = [];
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
});

async function served(env: Record<string, string>): Promise<{ gw: Gateway; templates: Record<string, any> }> {
  const gw = await startGateway(env);
  gateways.push(gw);
  const templates: Record<string, any> = {};
  for (const id of ['campaign', 'email-gateway']) {
    const res = await http(`${gw.url}/domain-connect/templates/${id}.json`);
    expect(res.status, res.text).toBe(200);
    expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
    templates[id] = res.json;
  }
  return { gw, templates };
}

/** The template applied to `domain` on an empty zone, as a DNS provider does ("Template Record", "SPF Record Merging"). */
function applyOnEmptyZone(template: { records: ServedRecord[] }, domain: string, variables: Record<string, string>): string[] {
  const sub = (text: string) =>
    text.replace(/%([^%]+)%/g, (_t, name: string) => {
      if (name === 'fqdn' || name === 'domain') return domain;
      const value = variables[name];
      if (value === undefined) throw new Error(`variable ${name} not supplied`);
      return value;
    });
  const name = (host: string) => (host === '@' || host === '' ? domain : `${sub(host)}.${domain}`);
  return template.records.map((r) => {
    switch (r.type) {
      case 'SPFM':
        return `TXT ${name(r.host)} v=spf1 ${sub(r.spfRules!)} ~all`;
      case 'TXT':
        return `TXT ${name(r.host)} ${sub(r.data!)}`;
      default:
        return `${r.type} ${name(r.host)} ${sub(r.pointsTo!).toLowerCase()}`;
    }
  }).sort();
}

describe('served Domain Connect templates', () => {
  let full: Awaited<ReturnType<typeof served>>;
  let bare: Awaited<ReturnType<typeof served>>;
  beforeAll(async () => {
    full = await served(FULL);
    bare = await served(DC_ENV);
  });

  it('carry every field the spec requires, and follow the Templates repository rules', () => {
    for (const [env, { templates }] of [[FULL, full], [DC_ENV, bare]] as const) {
      for (const [id, t] of Object.entries(templates)) {
        const where = `${id} (${env === FULL ? 'all variables' : 'no optional variables'})`;
        // Template Definition: required fields, and the onboarding fields this service supplies.
        expect(t.providerId, where).toBe('mail-platform.net');
        expect(t.providerName, where).toEqual(expect.any(String));
        expect(t.serviceId, where).toBe(id);
        expect(t.serviceName, where).toEqual(expect.any(String));
        expect(Number.isInteger(t.version) && t.version >= 1, where).toBe(true);
        // Rule 1/2: syncPubKeyDomain set (defaults to the provider id), never with warnPhishing (DCTL1028/1029).
        expect(t.syncPubKeyDomain, where).toBe('mail-platform.net');
        expect(t.warnPhishing, where).toBeUndefined();
        expect(t.syncBlock, where).toBeUndefined();
        // Rule 3: syncRedirectDomain, comma separated without white space (DCTL1026).
        expect(t.syncRedirectDomain, where).toBe('app.mail-platform.net,www.mail-platform.net');
        // ids use the linter's characters only (DCTL1002); the file name is providerId.serviceId.json lower case.
        expect(t.providerId).toMatch(/^[a-z0-9._-]+$/);
        expect(t.serviceId).toMatch(/^[a-z0-9._-]+$/);
        const records = t.records as ServedRecord[];
        expect(records.length, where).toBeGreaterThan(0);
        // groupId on every record or none (DCTL1032), and not all the same (DCTL1031).
        const groups = new Set(records.map((r) => r.groupId));
        expect(groups.has(undefined), where).toBe(false);
        expect(groups.size, where).toBeGreaterThan(1);
        for (const r of records) {
          const rw = `${where} ${r.type} ${r.host}`;
          // Template Record: the fields each type requires.
          expect(['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'SPFM'], rw).toContain(r.type);
          expect(typeof r.host === 'string' && r.host !== '', rw).toBe(true);
          if (r.type === 'SPFM') {
            expect(r.spfRules, rw).toEqual(expect.any(String));
            // spfRules are the rules only: no v=spf1, no all (DCTL1017).
            expect(r.spfRules, rw).not.toMatch(/v=spf1|(^|\s)[+~?-]?all$/i);
          } else {
            expect(Number.isInteger(r.ttl) && r.ttl! > 0, rw).toBe(true);
          }
          if (r.type === 'CNAME') {
            expect(r.pointsTo, rw).toEqual(expect.any(String));
            expect(r.host, rw).not.toBe('@');
          }
          if (r.type === 'TXT') {
            expect(r.data, rw).toEqual(expect.any(String));
            expect(['None', 'All', 'Prefix'], rw).toContain(r.txtConflictMatchingMode);
            if (r.txtConflictMatchingMode === 'Prefix') expect(r.txtConflictMatchingPrefix, rw).toEqual(expect.any(String));
            // Rule 4: never SPF as TXT; use SPFM (DCTL1014).
            expect(r.data, rw).not.toMatch(/v=spf1/i);
          }
          // Rule 9: no %host% anywhere (DCTL1024).
          expect(JSON.stringify(r), rw).not.toMatch(/%host%/i);
        }
        // Rule 5 and 10: DMARC is one TXT at _dmarc with a conflict mode and essential OnApply.
        const dmarc = records.filter((r) => r.host === '_dmarc');
        expect(dmarc, where).toHaveLength(1);
        expect(dmarc[0], where).toMatchObject({ type: 'TXT', essential: 'OnApply', txtConflictMatchingMode: 'Prefix', txtConflictMatchingPrefix: 'v=DMARC1' });
        // SPF only as SPFM, and only when the operator has an include to merge.
        expect(records.filter((r) => r.type === 'SPFM').map((r) => r.spfRules), where).toEqual(env === FULL ? ['include:%MAIL_SPF_INCLUDE%'] : []);
        // Every variable is supplied by the configuration (or is a built-in), and the description names them.
        const vars = new Set(JSON.stringify(records).match(/%[^%"]+%/g)!.map((v) => v.slice(1, -1)));
        for (const v of vars) expect(Object.keys(configured(env)), `${where} %${v}%`).toContain(v);
        for (const v of vars) expect(t.variableDescription, where).toContain(`%${v}%`);
      }
    }
  });

  for (const [label, env] of [['with every optional variable', FULL], ['without the optional variables', DC_ENV]] as const) {
    it(`write exactly the records dns.set creates on an empty zone (${label})`, async () => {
      const { gw, templates } = env === FULL ? full : bare;
      for (const [id, t] of Object.entries(templates)) {
        const dryRun = await postJson(gw, '/api/v1/dns.set', { Domain: `fresh-${id}.com`, Provider: 'sandbox', ApiKey: 'any', RecordType: id, DryRun: true }, bearer(gw.adminKey));
        expect(dryRun.status, dryRun.text).toBe(200);
        const changes = dryRun.json.changes as { action: string; type: string; name: string; content: string }[];
        // On an empty zone dns.set only creates; a KEEP is the second DMARC variant finding the first one planned.
        for (const c of changes) expect(['CREATE', 'KEEP'], JSON.stringify(c)).toContain(c.action);
        const bySet = changes.filter((c) => c.action === 'CREATE').map((c) => `${c.type} ${c.name} ${c.content}`).sort();
        expect(applyOnEmptyZone(t, `fresh-${id}.com`, configured(env)), id).toEqual(bySet);
      }
    });
  }

  it('an unknown template is 404, and nothing is served while Domain Connect is off', async () => {
    const unknown = await http(`${full.gw.url}/domain-connect/templates/nope.json`);
    expect(unknown.status).toBe(404);
    const off = await startGateway({ MAIL_SPF_INCLUDE: '_spf.x.net' });
    gateways.push(off);
    const res = await http(`${off.url}/domain-connect/templates/campaign.json`);
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ Errors: [{ Code: 404, Message: 'Domain Connect is not set up on this server' }] });
    // And dns.connect says so, with code 11.
    const connect = await postJson(off, '/api/v1/dns.connect', { Domain: 'example.com', RecordType: 'campaign' }, bearer(off.adminKey));
    expect(connect.json).toEqual({ Errors: [{ Code: 11, Message: 'Domain Connect is not available for this domain: Domain Connect is not set up on this server' }] });
  });
});
