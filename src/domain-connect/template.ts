/**
 * Our record sets as Domain Connect templates for onboarding at DNS providers, and the variables an apply carries.
 *
 * src/records/templates/*.json are already in the template format (DC-spec "Template Definition" and
 * "Template Record"), but two things about them only make sense inside this service, where the planner runs:
 * - a record that uses an OPTIONAL variable which is not configured is skipped (src/records/template.ts);
 * - records planned earlier count as existing for later ones, so of the two DMARC variants only the first is written.
 * A DNS provider applies every record of a template, so the template served for onboarding is resolved against the
 * configuration first: records using an unset optional variable are left out, and a TXT record that would conflict
 * (its txtConflictMatchingMode matching) with an earlier TXT record of the same host is left out too. Whatever the
 * template keeps then writes the same records through Domain Connect as dns.set writes.
 *
 * The served file also follows the Templates repository's rules (README "Template Quality Guidelines", and
 * dc-template-linter `libdctlint`): `syncPubKeyDomain` set and `warnPhishing` not (rules 1–2, DCTL1028/1029),
 * `syncRedirectDomain` without white space (rule 3, DCTL1026), SPF only as SPFM (rule 4, DCTL1014),
 * `txtConflictMatchingMode` on the DMARC TXT (rule 5), no `%host%` anywhere (rule 9, DCTL1024), DMARC
 * `essential: OnApply` (rule 10), groupIds on every record or none (DCTL1031/1032).
 *
 * Variables: our templates say `%domain%` for the name dns.set was called with, which Domain Connect calls `%fqdn%`
 * (host + domain, DC-spec "Template Record"), so it is served as `%fqdn%`. `%host%` has no meaning here (we always apply at the
 * name itself) and a template using it is refused, as the linter does.
 */
import { OPTIONAL_VARIABLES, TemplateError, type RecordTemplate, type TemplateRecord } from '../records/template.js';
import { normaliseName } from '../records/names.js';

/** What the operator configured for the served templates. */
export interface ServedTemplateOptions {
  readonly providerId: string;
  /** @default the template's own providerName */
  readonly providerName?: string | undefined;
  readonly syncPubKeyDomain: string;
  /** Host names a synchronous redirect_uri may point at; omitted from the template when empty. */
  readonly syncRedirectDomains: readonly string[];
  /** The operator's template variables (MAIL_*), as dns.set uses them. */
  readonly variables: Readonly<Record<string, string>>;
}

/** One record of a served template (the JSON shape of DC-spec "Template Record"). */
export interface DcTemplateRecord {
  readonly type: string;
  readonly groupId?: string;
  readonly host: string;
  readonly pointsTo?: string;
  readonly data?: string;
  readonly spfRules?: string;
  readonly ttl?: number;
  readonly priority?: number;
  readonly txtConflictMatchingMode?: 'None' | 'All' | 'Prefix';
  readonly txtConflictMatchingPrefix?: string;
  readonly essential?: 'OnApply';
}

export interface DcTemplate {
  readonly providerId: string;
  readonly providerName: string;
  readonly serviceId: string;
  readonly serviceName: string;
  readonly version: number;
  readonly logoUrl?: string;
  readonly description?: string;
  readonly variableDescription?: string;
  readonly syncPubKeyDomain: string;
  readonly syncRedirectDomain?: string;
  readonly records: readonly DcTemplateRecord[];
}

/** A served template and what an apply of it needs. */
export interface ServedTemplate {
  readonly serviceId: string;
  readonly template: DcTemplate;
  /** Variable names the served records use (as spelled in the template: DC names are case-sensitive), sorted. */
  readonly variables: readonly string[];
  /**
   * Groups that only add records kept when the domain already has one like them (TXT, essential OnApply, a conflict
   * mode): the DMARC record. dns.set keeps an existing DMARC record; a DNS provider would replace it, so such a
   * group is left out of an apply when the domain already holds a matching record (`groupsToApply`).
   */
  readonly onApplyGroups: readonly OnApplyGroup[];
  /** Every groupId of the served records, in order; empty when the template uses none. */
  readonly groups: readonly string[];
}

export interface OnApplyGroup {
  readonly groupId: string;
  /** The TXT host (relative, `@` for the name itself) and how its existing TXT records are matched. */
  readonly host: string;
  readonly mode: 'All' | 'Prefix';
  readonly prefix?: string | undefined;
}

const VARIABLE = /%([^%]*)%/g;

function variablesOf(text: string | undefined): string[] {
  return text === undefined ? [] : [...text.matchAll(VARIABLE)].map((m) => m[1]!);
}

const BUILT_IN = new Set(['domain', 'host', 'fqdn']);

function recordTexts(record: TemplateRecord): (string | undefined)[] {
  return [record.host, record.pointsTo, record.data, record.spfRules];
}

/** `%domain%` (any case) → `%fqdn%`; throws on `%host%` (DCTL1024). */
function servedText(text: string, where: string): string {
  return text.replace(VARIABLE, (token, name: string) => {
    const lower = name.toLowerCase();
    if (lower === 'host') throw new TemplateError(`${where}: %host% cannot be served to Domain Connect (the protocol adds the host itself)`);
    return lower === 'domain' ? '%fqdn%' : token;
  });
}

/** Whether a TXT record `later` would count `earlierData` at the same host as a conflict (DC-spec "Record Types and Conflicts"). */
function conflictsWith(later: TemplateRecord, earlierData: string): boolean {
  if (later.txtConflictMatchingMode === 'All') return true;
  if (later.txtConflictMatchingMode === 'Prefix') return earlierData.toLowerCase().startsWith((later.txtConflictMatchingPrefix ?? '').toLowerCase());
  return false;
}

/** The Domain Connect template served for one of our record sets, under the operator's configuration. */
export function serveTemplate(template: RecordTemplate, options: ServedTemplateOptions): ServedTemplate {
  const have = new Set(Object.entries(options.variables).filter(([, v]) => v !== '').map(([k]) => k.toUpperCase()));
  const optional = new Set(OPTIONAL_VARIABLES.map((v) => v.toUpperCase()));
  const kept: TemplateRecord[] = [];
  for (const record of template.records) {
    const names = recordTexts(record).flatMap(variablesOf).filter((n) => !BUILT_IN.has(n.toLowerCase()));
    // As the planner: a record needing an optional variable that is not set is not part of the set.
    if (names.some((n) => optional.has(n.toUpperCase()) && !have.has(n.toUpperCase()))) continue;
    // As the planner: an earlier TXT record at the same host that this one's conflict rule matches wins.
    if (record.type === 'TXT' && kept.some((k) => k.type === 'TXT' && sameHost(k.host, record.host) && conflictsWith(record, k.data ?? ''))) continue;
    kept.push(record);
  }
  const file = template.file.split(/[\\/]/).pop() ?? template.file;
  const records = kept.map((record, index): DcTemplateRecord => {
    const where = `${file} records[${index}]`;
    const text = (field: 'host' | 'pointsTo' | 'data' | 'spfRules') => {
      const value = record[field];
      return value === undefined ? {} : { [field]: servedText(value, `${where}.${field}`) };
    };
    return {
      type: record.type,
      ...(record.groupId !== undefined ? { groupId: record.groupId } : {}),
      ...text('host'),
      ...(record.type === 'SPFM' ? text('spfRules') : record.type === 'TXT' ? text('data') : text('pointsTo')),
      ...(record.ttl !== undefined ? { ttl: record.ttl } : {}),
      ...(record.type === 'MX' && record.priority !== undefined ? { priority: record.priority } : {}),
      ...(record.type === 'TXT'
        ? {
            txtConflictMatchingMode: record.txtConflictMatchingMode,
            ...(record.txtConflictMatchingMode === 'Prefix' && record.txtConflictMatchingPrefix !== undefined
              ? { txtConflictMatchingPrefix: record.txtConflictMatchingPrefix }
              : {}),
          }
        : {}),
      ...(record.essential === 'OnApply' ? { essential: 'OnApply' as const } : {}),
    } as DcTemplateRecord;
  });
  const withGroup = records.filter((r) => r.groupId !== undefined).length;
  if (withGroup !== 0 && withGroup !== records.length) {
    throw new TemplateError(`${file}: groupId must be set on every record or on none (dc-template-linter DCTL1032)`);
  }
  const variables = [...new Set(records.flatMap((r) => [r.host, r.pointsTo, r.data, r.spfRules].flatMap(variablesOf)))]
    .filter((n) => !BUILT_IN.has(n.toLowerCase()))
    .sort();
  const missing = variables.filter((n) => !have.has(n.toUpperCase()));
  if (missing.length > 0) throw new TemplateError(`${file}: variables ${missing.join(', ')} are not configured`);

  const groups = [...new Set(records.flatMap((r) => (r.groupId === undefined ? [] : [r.groupId])))];
  const onApplyGroups = groups.flatMap((groupId): OnApplyGroup[] => {
    const members = records.filter((r) => r.groupId === groupId);
    const first = members[0]!;
    const onApplyTxt = (r: DcTemplateRecord) =>
      r.type === 'TXT' && r.essential === 'OnApply' && (r.txtConflictMatchingMode === 'All' || r.txtConflictMatchingMode === 'Prefix');
    if (!members.every((r) => onApplyTxt(r) && sameHost(r.host, first.host))) return [];
    return [{ groupId, host: first.host, mode: first.txtConflictMatchingMode as 'All' | 'Prefix', prefix: first.txtConflictMatchingPrefix }];
  });

  const variableDescription = variables.length > 0
    ? `${variables.map((v) => `%${v}%`).join(', ')}: the operator's configuration (the same values for every domain), passed on the signed apply URL.`
    : undefined;
  return {
    serviceId: template.serviceId,
    variables,
    groups,
    onApplyGroups,
    template: {
      providerId: options.providerId,
      providerName: options.providerName ?? template.providerName,
      serviceId: template.serviceId,
      serviceName: template.serviceName,
      version: template.version,
      ...(template.logoUrl !== undefined ? { logoUrl: template.logoUrl } : {}),
      ...(template.description !== undefined ? { description: template.description } : {}),
      ...(variableDescription !== undefined ? { variableDescription } : {}),
      syncPubKeyDomain: options.syncPubKeyDomain,
      ...(options.syncRedirectDomains.length > 0 ? { syncRedirectDomain: options.syncRedirectDomains.join(',') } : {}),
      records,
    },
  };
}

function sameHost(a: string, b: string): boolean {
  const norm = (h: string) => (h.trim() === '' || h.trim() === '@' ? '@' : normaliseName(h));
  return norm(a) === norm(b);
}

/** The relative host of `name` under `domain` (`mail.example.com` under `example.com` → `mail`; the domain → ''). */
export function hostUnder(name: string, domain: string): string {
  return name === domain ? '' : name.slice(0, name.length - domain.length - 1);
}

/**
 * The full name a template host lands on for an apply at `fqdn` (DC-spec "Host/Name in Template": relative to
 * [host.]domain unless it ends with a dot; `@` or empty is the name itself). Only literal hosts: used for the
 * OnApply groups' TXT hosts, which carry no variables in our templates (a variable host is resolved first).
 */
export function templateHostName(host: string, fqdn: string, variables: Readonly<Record<string, string>>): string {
  const substituted = host.replace(VARIABLE, (_t, name: string) => (name.toLowerCase() === 'fqdn' || name.toLowerCase() === 'domain' ? fqdn : variables[name] ?? ''));
  const trimmed = substituted.trim();
  if (trimmed === '' || trimmed === '@') return fqdn;
  if (trimmed.endsWith('.')) return normaliseName(trimmed);
  return normaliseName(`${trimmed}.${fqdn}`);
}
