/**
 * Record-set templates in the Domain Connect template format (DC-spec §5.2–5.3; background.md §2.2), one per
 * `RecordType` of `dns.set`: `campaign.json` and `email-gateway.json`. Loading validates them; resolving substitutes
 * variables and turns hosts into full names for one domain.
 *
 * Variables: `%domain%`, `%host%` (always empty: we apply at the domain itself), `%fqdn%` (= the domain) and the
 * operator's configured `%VARIABLES%`, matched case-insensitively as in Domain Connect. A record that uses an
 * OPTIONAL variable (`MAIL_SPF_INCLUDE`, `MAIL_DMARC_RUA`) which is not set is skipped, so an operator without an SPF
 * include or a DMARC report address gets no SPF change and a plain `p=none` DMARC.
 */
import { readFile } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// Bundled with the code (not read from disk at run time), so a built dist/ needs no copy of the folder.
import campaignJson from './templates/campaign.json' with { type: 'json' };
import emailGatewayJson from './templates/email-gateway.json' with { type: 'json' };
import { z } from 'zod';
import { isAtOrBelow, isValidHostName, normaliseName } from './names.js';

export const RECORD_SET_TYPES = ['campaign', 'email-gateway'] as const;
export type RecordSetType = (typeof RECORD_SET_TYPES)[number];

/** Variables whose absence skips the records using them instead of failing. */
export const OPTIONAL_VARIABLES: readonly string[] = ['MAIL_SPF_INCLUDE', 'MAIL_DMARC_RUA'];

/** Built-in Domain Connect variables (DC-spec §5.3), upper-cased like every variable name here. */
const BUILT_IN_VARIABLES = new Set(['DOMAIN', 'HOST', 'FQDN']);

/** TTL of an SPFM record that creates a new SPF TXT (DC templates may omit it there). */
export const DEFAULT_SPF_TTL = 3600;

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

const VARIABLE_TOKEN = /%([^%]*)%/g;
const VARIABLE_NAME = /^[A-Za-z0-9_-]+$/;

/** Variable names used in `text` (upper case), or a reason the text is malformed. */
function scanVariables(text: string): { names: string[] } | { problem: string } {
  const names: string[] = [];
  for (const match of text.matchAll(VARIABLE_TOKEN)) {
    const name = match[1]!;
    if (!VARIABLE_NAME.test(name)) return { problem: `"%${name}%" is not a valid variable name` };
    names.push(name.toUpperCase());
  }
  if (text.replace(VARIABLE_TOKEN, '').includes('%')) return { problem: 'unbalanced "%" (variables are written %NAME%)' };
  return { names };
}

const required = (what: string) => ({
  error: (issue: { input: unknown }) => (issue.input === undefined ? 'required' : `expected ${what}`),
});

/** The fields a template field can carry variables in. */
const VARIABLE_FIELDS = ['host', 'pointsTo', 'data', 'spfRules'] as const;

const recordSchema = z
  .strictObject({
    type: z.enum(['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'SPFM'], {
      error: (issue) =>
        issue.input === undefined ? 'required' : `unsupported record type ${JSON.stringify(issue.input)} (expected A, AAAA, CNAME, MX, TXT or SPFM)`,
    }),
    host: z.string(required('a string')).min(1, 'must not be empty (use "@" for the domain itself)'),
    pointsTo: z.string(required('a string')).min(1, 'must not be empty').optional(),
    data: z.string(required('a string')).optional(),
    ttl: z.int(required('a whole number of seconds')).min(1).max(2_147_483_647).optional(),
    priority: z.int(required('a whole number')).min(0).max(65_535).optional(),
    /** @default "None" */
    txtConflictMatchingMode: z.enum(['None', 'All', 'Prefix'], required('None, All or Prefix')).default('None'),
    txtConflictMatchingPrefix: z.string(required('a string')).min(1, 'must not be empty').optional(),
    spfRules: z.string(required('a string')).min(1, 'must not be empty').optional(),
    /** @default "Always" */
    essential: z.enum(['Always', 'OnApply'], required('Always or OnApply')).default('Always'),
    /** Accepted for Domain Connect compatibility; the service always applies every group. */
    groupId: z.string().optional(),
  })
  .superRefine((record, ctx) => {
    const need = (field: keyof typeof record, why: string) => {
      if (record[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `required ${why}` });
    };
    switch (record.type) {
      case 'A':
      case 'AAAA':
      case 'CNAME':
        need('pointsTo', `for ${record.type} records`);
        need('ttl', `for ${record.type} records`);
        break;
      case 'MX':
        need('pointsTo', 'for MX records');
        need('priority', 'for MX records');
        need('ttl', 'for MX records');
        break;
      case 'TXT':
        need('data', 'for TXT records');
        need('ttl', 'for TXT records');
        break;
      case 'SPFM':
        need('spfRules', 'for SPFM records');
        break;
    }
    if (record.txtConflictMatchingMode === 'Prefix') need('txtConflictMatchingPrefix', 'when txtConflictMatchingMode is Prefix');
    for (const field of VARIABLE_FIELDS) {
      const value = record[field];
      if (value === undefined) continue;
      const scan = scanVariables(value);
      if ('problem' in scan) ctx.addIssue({ code: 'custom', path: [field], message: scan.problem });
    }
  });

const templateSchema = z.strictObject({
  providerId: z.string(required('a string')).min(1, 'must not be empty'),
  providerName: z.string(required('a string')).min(1, 'must not be empty'),
  serviceId: z.enum(RECORD_SET_TYPES, {
    error: (issue) => (issue.input === undefined ? 'required' : `expected one of ${RECORD_SET_TYPES.join(', ')}`),
  }),
  serviceName: z.string(required('a string')).min(1, 'must not be empty'),
  version: z.int(required('a whole number')).min(1),
  description: z.string(required('a string')).optional(),
  // Other Domain Connect top-level fields, accepted so a DC template validates; they do not change what we write.
  logoUrl: z.string().optional(),
  variableDescription: z.string().optional(),
  syncBlock: z.boolean().optional(),
  shared: z.boolean().optional(),
  sharedProviderName: z.boolean().optional(),
  sharedServiceName: z.boolean().optional(),
  syncPubKeyDomain: z.string().optional(),
  syncRedirectDomain: z.string().optional(),
  multiInstance: z.boolean().optional(),
  warnPhishing: z.boolean().optional(),
  hostRequired: z.boolean().optional(),
  records: z.array(recordSchema, required('an array of records')).min(1, 'must hold at least one record'),
});

export type TemplateRecord = z.output<typeof recordSchema>;
export type TemplateRecordType = TemplateRecord['type'];

export type RecordTemplate = z.output<typeof templateSchema> & {
  /** Where the template came from, for error messages. */
  readonly file: string;
};

function issuePath(issuePath: readonly PropertyKey[]): string {
  let out = '';
  for (const part of issuePath) out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  return out || '(template)';
}

/** Validates parsed template JSON. Errors name `file` and every bad field (`records[2].pointsTo: required …`). */
export function parseTemplate(json: unknown, file: string): RecordTemplate {
  const result = templateSchema.safeParse(json);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const keys = issue.code === 'unrecognized_keys' ? ` ${issue.keys.map((k) => `"${k}"`).join(', ')}` : '';
      return `  ${issuePath(issue.path)}: ${issue.code === 'unrecognized_keys' ? `unknown field${keys}` : issue.message}`;
    });
    throw new TemplateError(`Invalid record template ${file}:\n${lines.join('\n')}`);
  }
  return { ...result.data, file };
}

export interface TemplateSet {
  /** The directory the templates were read from. */
  readonly source: string;
  readonly templates: readonly RecordTemplate[];
  get(recordType: RecordSetType): RecordTemplate;
}

/** Built-in templates, next to this file. */
export const BUILT_IN_TEMPLATE_DIR = fileURLToPath(new URL('./templates/', import.meta.url));

/**
 * Reads `campaign.json` and `email-gateway.json` from `dir` (the built-ins when absent). Both must exist and be
 * valid, and each file's `serviceId` must be its own name, so a copied file cannot silently serve the other type.
 * @default dir BUILT_IN_TEMPLATE_DIR
 */
export async function loadTemplates(options: { dir?: string | undefined } = {}): Promise<TemplateSet> {
  const dir = options.dir ?? BUILT_IN_TEMPLATE_DIR;
  const builtIn: Record<RecordSetType, unknown> = { campaign: campaignJson, 'email-gateway': emailGatewayJson };
  const templates = options.dir
    ? await Promise.all(RECORD_SET_TYPES.map((type) => loadTemplateFile(dir, type)))
    : RECORD_SET_TYPES.map((type) => checkServiceId(parseTemplate(builtIn[type], path.join(dir, `${type}.json`)), type, path.join(dir, `${type}.json`)));
  const byType = new Map(templates.map((t) => [t.serviceId, t] as const));
  return {
    source: dir,
    templates,
    get(recordType) {
      const template = byType.get(recordType);
      if (!template) throw new TemplateError(`No record template for "${String(recordType)}"`);
      return template;
    },
  };
}

async function loadTemplateFile(dir: string, type: RecordSetType): Promise<RecordTemplate> {
  const file = path.join(dir, `${type}.json`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : `cannot be read (${code ?? 'unknown error'})`;
    throw new TemplateError(`Record template ${file}: ${why}; the template directory must hold campaign.json and email-gateway.json`, {
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TemplateError(`Invalid record template ${file}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  return checkServiceId(parseTemplate(json, file), type, file);
}

function checkServiceId(template: RecordTemplate, type: RecordSetType, file: string): RecordTemplate {
  if (template.serviceId !== type) {
    throw new TemplateError(`Invalid record template ${file}:\n  serviceId: "${template.serviceId}" does not match the file name (expected "${type}")`);
  }
  return template;
}

function recordVariables(record: TemplateRecord): string[] {
  const names = new Set<string>();
  for (const field of VARIABLE_FIELDS) {
    const value = record[field];
    if (value === undefined) continue;
    const scan = scanVariables(value);
    if ('names' in scan) for (const name of scan.names) if (!BUILT_IN_VARIABLES.has(name)) names.add(name);
  }
  return [...names];
}

/**
 * The configured variables a template uses (upper case, sorted), minus `optional` ones.
 * @default optional OPTIONAL_VARIABLES
 */
export function requiredVariables(template: RecordTemplate, optional: readonly string[] = OPTIONAL_VARIABLES): string[] {
  const skip = new Set(optional.map((v) => v.toUpperCase()));
  const names = new Set(template.records.flatMap(recordVariables).filter((n) => !skip.has(n)));
  return [...names].sort();
}

/** Variables keyed by upper-case name, without unset or empty values. */
function variableMap(variables: Readonly<Record<string, string | undefined>>): Map<string, string> {
  const map = new Map<string, string>();
  for (const [name, value] of Object.entries(variables)) if (value !== undefined && value !== '') map.set(name.toUpperCase(), value);
  return map;
}

/**
 * Throws one `TemplateError` naming every variable the templates need that `variables` lacks, and the templates that
 * use it. Only variables the loaded templates use are required.
 */
export function checkVariables(
  templates: TemplateSet | readonly RecordTemplate[],
  variables: Readonly<Record<string, string | undefined>>,
  optional: readonly string[] = OPTIONAL_VARIABLES,
): void {
  const list = 'templates' in templates ? templates.templates : templates;
  const have = variableMap(variables);
  const missing = new Map<string, string[]>();
  for (const template of list) {
    for (const name of requiredVariables(template, optional)) {
      if (have.has(name)) continue;
      missing.set(name, [...(missing.get(name) ?? []), path.basename(template.file)]);
    }
  }
  if (missing.size === 0) return;
  const lines = [...missing].map(([name, files]) => `  ${name} (used by ${files.join(', ')})`);
  throw new TemplateError(`Missing record template variables:\n${lines.join('\n')}`);
}

/** A template record for one domain: full names, lower case, no trailing dot. */
export interface ResolvedRecord {
  readonly type: TemplateRecordType;
  readonly name: string;
  /** A/AAAA address, CNAME/MX target, TXT value, or for SPFM the rules to merge (`include:x`). */
  readonly content: string;
  readonly ttl: number;
  readonly priority?: number | undefined;
  readonly txtConflictMatchingMode: 'None' | 'All' | 'Prefix';
  readonly txtConflictMatchingPrefix?: string | undefined;
  readonly essential: 'Always' | 'OnApply';
}

export interface ResolveOptions {
  /** The domain the records are for (already normalised by `normaliseDomain`). */
  readonly domain: string;
  readonly variables: Readonly<Record<string, string | undefined>>;
  /** @default OPTIONAL_VARIABLES */
  readonly optional?: readonly string[];
}

/**
 * The template's records for `domain`. Throws `TemplateError` for a variable that is not set (and not optional), or
 * a record that would land outside the domain or does not form a valid name/address after substitution.
 */
export function resolveTemplate(template: RecordTemplate, options: ResolveOptions): ResolvedRecord[] {
  const domain = normaliseName(options.domain);
  const optional = new Set((options.optional ?? OPTIONAL_VARIABLES).map((v) => v.toUpperCase()));
  const values = variableMap(options.variables);
  values.set('DOMAIN', domain);
  values.set('HOST', '');
  values.set('FQDN', domain);
  const out: ResolvedRecord[] = [];
  template.records.forEach((record, index) => {
    const where = (field: string) => `${path.basename(template.file)} records[${index}].${field}`;
    if (recordVariables(record).some((name) => optional.has(name) && !values.has(name))) return;
    const substitute = (field: (typeof VARIABLE_FIELDS)[number]): string => {
      const text = record[field] ?? '';
      return text.replace(VARIABLE_TOKEN, (_, name: string) => {
        const value = values.get(name.toUpperCase());
        if (value === undefined) throw new TemplateError(`${where(field)}: variable %${name}% is not set`);
        return value;
      });
    };
    const name = resolveHost(substitute('host'), domain);
    if (!isValidHostName(name)) throw new TemplateError(`${where('host')}: "${name}" is not a valid host name`);
    if (!isAtOrBelow(name, domain)) throw new TemplateError(`${where('host')}: "${name}" is outside the domain ${domain}`);
    const content = resolveContent(record, substitute, domain, where);
    out.push({
      type: record.type,
      name,
      content,
      ttl: record.ttl ?? DEFAULT_SPF_TTL,
      ...(record.type === 'MX' ? { priority: record.priority } : {}),
      txtConflictMatchingMode: record.txtConflictMatchingMode,
      ...(record.txtConflictMatchingPrefix !== undefined ? { txtConflictMatchingPrefix: record.txtConflictMatchingPrefix } : {}),
      essential: record.essential,
    });
  });
  return out;
}

/** DC host rules: `@` (or empty) is the domain, a trailing dot makes a name absolute, anything else is relative. */
function resolveHost(host: string, domain: string): string {
  const trimmed = host.trim();
  if (trimmed === '@' || trimmed === '') return domain;
  if (trimmed.endsWith('.')) return normaliseName(trimmed);
  return normaliseName(`${trimmed}.${domain}`);
}

function resolveContent(
  record: TemplateRecord,
  substitute: (field: (typeof VARIABLE_FIELDS)[number]) => string,
  domain: string,
  where: (field: string) => string,
): string {
  switch (record.type) {
    case 'CNAME':
    case 'MX': {
      // DC: `@` in pointsTo is the domain; any other target is taken as an absolute host name.
      const raw = substitute('pointsTo').trim();
      const target = raw === '@' ? domain : normaliseName(raw);
      if (!isValidHostName(target)) throw new TemplateError(`${where('pointsTo')}: "${target}" is not a valid host name`);
      return target;
    }
    case 'A': {
      const address = substitute('pointsTo').trim();
      if (!isIPv4(address)) throw new TemplateError(`${where('pointsTo')}: "${address}" is not an IPv4 address`);
      return address;
    }
    case 'AAAA': {
      const address = substitute('pointsTo').trim().toLowerCase();
      if (!isIPv6(address)) throw new TemplateError(`${where('pointsTo')}: "${address}" is not an IPv6 address`);
      return address;
    }
    case 'TXT':
      return substitute('data');
    case 'SPFM':
      return substitute('spfRules').trim().split(/\s+/).join(' ');
  }
}
