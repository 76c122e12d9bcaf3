import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BUILT_IN_TEMPLATE_DIR,
  TemplateError,
  checkVariables,
  loadTemplates,
  parseTemplate,
  requiredVariables,
  resolveTemplate,
} from '../src/records/template.js';

const VARS = {
  MAIL_MASTER_DOMAIN: 'Sender.Example.NET',
  MAIL_SUBDOMAIN: 'sl',
  MAIL_DKIM_SELECTOR: 'key1',
  MAIL_TRACK_PREFIX: 'track',
};

const minimal = (records: unknown[], extra: Record<string, unknown> = {}) => ({
  providerId: 'test',
  providerName: 'Test',
  serviceId: 'campaign',
  serviceName: 'Test service',
  version: 1,
  records,
  ...extra,
});

/** The error message thrown by `fn`, failing the test when nothing is thrown. */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TemplateError);
    return (error as Error).message;
  }
  throw new Error('expected a TemplateError');
}

describe('built-in templates', () => {
  it('load both record types, modelled on the platform CNAME delegation', async () => {
    const set = await loadTemplates();
    expect(set.source).toBe(BUILT_IN_TEMPLATE_DIR);
    expect(set.templates.map((t) => t.serviceId)).toEqual(['campaign', 'email-gateway']);
    expect(requiredVariables(set.get('campaign'))).toEqual(['MAIL_DKIM_SELECTOR', 'MAIL_MASTER_DOMAIN', 'MAIL_SUBDOMAIN', 'MAIL_TRACK_PREFIX']);
    // The gateway has no tracking record, hence no track prefix (Octeth's EmailGatewayDNSTemplates has none).
    expect(requiredVariables(set.get('email-gateway'))).toEqual(['MAIL_DKIM_SELECTOR', 'MAIL_MASTER_DOMAIN', 'MAIL_SUBDOMAIN']);
    expect(requiredVariables(set.get('campaign'), [])).toContain('MAIL_SPF_INCLUDE');
  });

  it('resolve campaign to the four CNAMEs and one p=none DMARC when the optional variables are unset', async () => {
    const set = await loadTemplates();
    const records = resolveTemplate(set.get('campaign'), { domain: 'Customer.COM.', variables: VARS });
    expect(records.map((r) => [r.type, r.name, r.content, r.ttl])).toEqual([
      ['CNAME', 'sl.customer.com', 'sender.example.net', 3600],
      ['CNAME', 'key1._domainkey.sl.customer.com', 'key1._domainkey.sender.example.net', 3600],
      ['CNAME', 'key1._domainkey.customer.com', 'key1._domainkey.sender.example.net', 3600],
      ['CNAME', 'track-sl.customer.com', 'track.sender.example.net', 3600],
      ['TXT', '_dmarc.customer.com', 'v=DMARC1; p=none', 3600],
    ]);
    const dmarc = records[4]!;
    expect(dmarc).toMatchObject({ essential: 'OnApply', txtConflictMatchingMode: 'Prefix', txtConflictMatchingPrefix: 'v=DMARC1' });
  });

  it('include the SPFM and rua DMARC records when the optional variables are set', async () => {
    const set = await loadTemplates();
    const records = resolveTemplate(set.get('email-gateway'), {
      domain: 'customer.com',
      variables: { ...VARS, MAIL_SUBDOMAIN: 'tx', MAIL_SPF_INCLUDE: 'spf.sender.example.net', MAIL_DMARC_RUA: 'dmarc@sender.example.net' },
    });
    expect(records.map((r) => [r.type, r.name, r.content])).toEqual([
      ['CNAME', 'tx.customer.com', 'sender.example.net'],
      ['CNAME', 'key1._domainkey.tx.customer.com', 'key1._domainkey.sender.example.net'],
      ['CNAME', 'key1._domainkey.customer.com', 'key1._domainkey.sender.example.net'],
      ['SPFM', 'customer.com', 'include:spf.sender.example.net'],
      ['TXT', '_dmarc.customer.com', 'v=DMARC1; p=none; rua=mailto:dmarc@sender.example.net'],
      ['TXT', '_dmarc.customer.com', 'v=DMARC1; p=none'],
    ]);
  });

  it('are valid JSON files that parse to the same templates', async () => {
    for (const type of ['campaign', 'email-gateway']) {
      const file = path.join(BUILT_IN_TEMPLATE_DIR, `${type}.json`);
      const template = parseTemplate(JSON.parse(await readFile(file, 'utf8')), file);
      expect(template.serviceId).toBe(type);
      expect(template.records.every((r) => r.type === 'SPFM' || r.ttl === 3600)).toBe(true);
    }
  });
});

describe('template validation', () => {
  it('names the file and the field for an unsupported type', () => {
    const message = errorOf(() => parseTemplate(minimal([{ type: 'SRVX', host: '@', pointsTo: 'x', ttl: 60 }]), 'custom/campaign.json'));
    expect(message).toContain('custom/campaign.json');
    expect(message).toContain('records[0].type: unsupported record type "SRVX"');
  });

  it('names a missing field, including type-specific ones', () => {
    const message = errorOf(() =>
      parseTemplate(minimal([{ type: 'TXT', host: '_dmarc', data: 'v=DMARC1; p=none', ttl: 60 }, { type: 'CNAME', ttl: 60, host: 'x' }]), 'c.json'),
    );
    expect(message).toContain('records[1].pointsTo: required for CNAME records');
    expect(message).not.toContain('records[0]');
    expect(errorOf(() => parseTemplate(minimal([{ type: 'MX', host: '@', pointsTo: 'mx.example.net', ttl: 60 }]), 'c.json'))).toContain(
      'records[0].priority: required for MX records',
    );
    expect(errorOf(() => parseTemplate({ ...minimal([]), providerId: undefined }, 'c.json'))).toMatch(/providerId: required[\s\S]*records: must hold at least one record/);
  });

  it('refuses unknown fields, a Prefix mode without a prefix, and malformed variables', () => {
    expect(errorOf(() => parseTemplate(minimal([{ type: 'CNAME', host: 'x', pointTo: 'y', pointsTo: 'y', ttl: 60 }]), 'c.json'))).toContain(
      'records[0]: unknown field "pointTo"',
    );
    expect(
      errorOf(() => parseTemplate(minimal([{ type: 'TXT', host: '_dmarc', data: 'v=DMARC1', ttl: 60, txtConflictMatchingMode: 'Prefix' }]), 'c.json')),
    ).toContain('records[0].txtConflictMatchingPrefix: required when txtConflictMatchingMode is Prefix');
    expect(errorOf(() => parseTemplate(minimal([{ type: 'TXT', host: '%MAIL_SUBDOMAIN', data: 'x', ttl: 60 }]), 'c.json'))).toContain(
      'records[0].host: unbalanced "%"',
    );
    expect(errorOf(() => parseTemplate(minimal([{ type: 'TXT', host: '%bad name%', data: 'x', ttl: 60 }]), 'c.json'))).toContain(
      'records[0].host: "%bad name%" is not a valid variable name',
    );
  });

  it('fails to resolve a variable that is not set, naming the field', () => {
    const template = parseTemplate(minimal([{ type: 'CNAME', host: 'x', pointsTo: '%UNKNOWN_TARGET%', ttl: 60 }]), 'dir/campaign.json');
    expect(errorOf(() => resolveTemplate(template, { domain: 'customer.com', variables: VARS }))).toBe(
      'campaign.json records[0].pointsTo: variable %UNKNOWN_TARGET% is not set',
    );
    expect(errorOf(() => checkVariables([template], VARS))).toContain('UNKNOWN_TARGET (used by campaign.json)');
  });
});

describe('variables and hosts', () => {
  const template = (records: unknown[]) => parseTemplate(minimal(records), 'campaign.json');

  it('substitutes built-ins and configured variables case-insensitively', () => {
    const t = template([
      { type: 'TXT', host: '@', data: 'site=%Domain% fqdn=%FQDN% host=[%host%]', ttl: 300 },
      { type: 'CNAME', host: '%Sub%', pointsTo: '%target%.', ttl: 300 },
      { type: 'MX', host: 'bounce', pointsTo: '@', priority: 10, ttl: 300 },
      { type: 'A', host: 'www', pointsTo: '%ip%', ttl: 300 },
    ]);
    const records = resolveTemplate(t, { domain: 'customer.com', variables: { SUB: 'Mail', TARGET: 'MTA.Example.net', IP: '192.0.2.1' } });
    expect(records.map((r) => [r.type, r.name, r.content, r.priority])).toEqual([
      ['TXT', 'customer.com', 'site=customer.com fqdn=customer.com host=[]', undefined],
      ['CNAME', 'mail.customer.com', 'mta.example.net', undefined],
      ['MX', 'bounce.customer.com', 'customer.com', 10],
      ['A', 'www.customer.com', '192.0.2.1', undefined],
    ]);
  });

  it('takes a host ending in "." as absolute, but never outside the domain', () => {
    const inside = template([{ type: 'CNAME', host: 'x.%domain%.', pointsTo: 't.example.net', ttl: 60 }]);
    expect(resolveTemplate(inside, { domain: 'customer.com', variables: {} })[0]!.name).toBe('x.customer.com');
    const outside = template([{ type: 'CNAME', host: 'victim.example.org.', pointsTo: 't.example.net', ttl: 60 }]);
    expect(errorOf(() => resolveTemplate(outside, { domain: 'customer.com', variables: {} }))).toContain('"victim.example.org" is outside the domain customer.com');
  });

  it('rejects a substituted value that does not form a valid name or address', () => {
    const t = template([{ type: 'CNAME', host: '%SUB%', pointsTo: 't.example.net', ttl: 60 }]);
    expect(errorOf(() => resolveTemplate(t, { domain: 'customer.com', variables: { SUB: 'two words' } }))).toContain('not a valid host name');
    const a = template([{ type: 'A', host: 'www', pointsTo: '%IP%', ttl: 60 }]);
    expect(errorOf(() => resolveTemplate(a, { domain: 'customer.com', variables: { IP: '::1' } }))).toContain('is not an IPv4 address');
  });

  it('skips records that use an unset optional variable, and only those', () => {
    const t = template([
      { type: 'SPFM', host: '@', spfRules: 'include:%MAIL_SPF_INCLUDE%' },
      { type: 'SPFM', host: 'bounce', spfRules: 'include:fixed.example.net' },
    ]);
    expect(resolveTemplate(t, { domain: 'customer.com', variables: {} }).map((r) => r.name)).toEqual(['bounce.customer.com']);
    const all = resolveTemplate(t, { domain: 'customer.com', variables: { mail_spf_include: 'spf.example.net' } });
    expect(all.map((r) => r.content)).toEqual(['include:spf.example.net', 'include:fixed.example.net']);
    // Declared not optional, the same variable is required.
    expect(errorOf(() => resolveTemplate(t, { domain: 'customer.com', variables: {}, optional: [] }))).toContain('%MAIL_SPF_INCLUDE% is not set');
  });

  it('checkVariables lists every missing variable once, ignoring optional and unused ones', async () => {
    const set = await loadTemplates();
    const message = errorOf(() => checkVariables(set, { MAIL_SUBDOMAIN: 'sl' }));
    expect(message).toContain('MAIL_MASTER_DOMAIN (used by campaign.json, email-gateway.json)');
    expect(message).toContain('MAIL_TRACK_PREFIX (used by campaign.json)');
    expect(message).not.toContain('MAIL_SPF_INCLUDE');
    expect(message).not.toContain('MAIL_SUBDOMAIN');
    expect(() => checkVariables(set, { mail_master_domain: 'm.example.net', MAIL_SUBDOMAIN: 'sl', MAIL_DKIM_SELECTOR: 'k', MAIL_TRACK_PREFIX: 't' })).not.toThrow();
    const noVariables = template([{ type: 'TXT', host: '@', data: 'hello %domain%', ttl: 60 }]);
    expect(() => checkVariables([noVariables], {})).not.toThrow();
  });
});

describe('loadTemplates from a directory', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  const write = async (files: Record<string, unknown>) => {
    dir = await mkdtemp(path.join(tmpdir(), 'templates-'));
    for (const [name, body] of Object.entries(files)) {
      await writeFile(path.join(dir, name), typeof body === 'string' ? body : JSON.stringify(body));
    }
    return dir;
  };
  const txtOnly = (serviceId: string) => minimal([{ type: 'TXT', host: '@', data: 'verify=%domain%', ttl: 300 }], { serviceId });

  it('loads a custom set that needs no variables', async () => {
    const set = await loadTemplates({ dir: await write({ 'campaign.json': txtOnly('campaign'), 'email-gateway.json': txtOnly('email-gateway') }) });
    expect(() => checkVariables(set, {})).not.toThrow();
    expect(resolveTemplate(set.get('email-gateway'), { domain: 'customer.com', variables: {} })[0]!.content).toBe('verify=customer.com');
  });

  it('requires both files', async () => {
    const d = await write({ 'campaign.json': txtOnly('campaign') });
    await expect(loadTemplates({ dir: d })).rejects.toThrow(/email-gateway\.json: file not found/);
  });

  it('names the file holding invalid JSON or the wrong serviceId', async () => {
    const bad = await write({ 'campaign.json': '{ not json', 'email-gateway.json': txtOnly('email-gateway') });
    await expect(loadTemplates({ dir: bad })).rejects.toThrow(/campaign\.json: not valid JSON/);
    await rm(bad, { recursive: true, force: true });
    const swapped = await write({ 'campaign.json': txtOnly('campaign'), 'email-gateway.json': txtOnly('campaign') });
    await expect(loadTemplates({ dir: swapped })).rejects.toThrow(/email-gateway\.json:\n {2}serviceId: "campaign" does not match the file name/);
  });
});

