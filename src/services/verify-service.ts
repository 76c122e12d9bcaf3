/**
 * dns.verify: is the record set that dns.set writes live on every authoritative server of the domain, and are the
 * domain's mail records right? It asks the zone's own name servers (src/detection/authoritative.ts), never a cache
 * instead of them; the configured recursive resolvers' view is reported beside each record. Pure judgement lives in
 * src/records/mail-checks.ts; this file asks the questions and puts the answers together.
 */
import { AppError } from '../errors.js';
import type { Log, Logger } from '../logger.js';
import { checkDkimKey, checkDmarc, checkSpfRecords, type DmarcPolicy } from '../records/mail-checks.js';
import { resolveTemplate, type ResolvedRecord, type TemplateSet } from '../records/template.js';
import type { SpfLookupCount } from '../records/spf-lookups.js';
import { NoAuthoritativeServers, type AuthoritativeClient, type AuthoritativeServer, type ServerReply } from '../detection/authoritative.js';
import { DnsLookupError, txtAnswer, type DnsResponse, type QueryType, type Resolver } from '../detection/resolver.js';
import type { RecordSetName } from './dns-service.js';

/** LIVE: every authoritative server answers it; PROPAGATING: some do; MISSING: none do; WRONG: the name answers something else. */
export type RecordStatus = 'LIVE' | 'PROPAGATING' | 'MISSING' | 'WRONG';

/** One server's answer for one expected record. */
export interface ServerView {
  /** The NS host name, or `recursive` for the configured resolvers' view. */
  readonly server: string;
  /** The address asked (empty for the recursive view). */
  readonly address: string;
  /** `match`: the expected content; `missing`: nothing there; `other`: something else; `error`: no answer. */
  readonly result: 'match' | 'missing' | 'other' | 'error';
  /** What the server answered at the name for that type (TXT values joined, targets without the final dot). */
  readonly answers: readonly string[];
  readonly error: string | null;
}

export interface RecordVerification {
  /** As published: `CNAME`, `TXT` (an SPF merge is a TXT record), … */
  readonly type: string;
  readonly name: string;
  /** The content dns.set would write (for the SPF, the rules it merges; for DMARC, the record it adds when none exists). */
  readonly expected: string;
  readonly status: RecordStatus;
  readonly servers: readonly ServerView[];
  /** The recursive resolvers' view: reported beside the authoritative one, never instead of it. */
  readonly recursive: ServerView;
}

export interface VerificationChecks {
  readonly nameservers: { readonly ok: boolean; readonly servers: readonly { host: string; address: string; ok: boolean; error: string | null }[] };
  readonly spf: {
    readonly ok: boolean;
    readonly records: number;
    readonly record: string | null;
    /** Whether the platform's rules (MAIL_SPF_INCLUDE) are in it; null when none are configured. */
    readonly include: boolean | null;
    /** RFC 7208 §4.6.4: DNS-querying terms (at most 10) and void lookups (at most 2); null when not established. */
    readonly lookups: number | null;
    readonly voidLookups: number | null;
    readonly problem: string | null;
  };
  readonly dmarc: { readonly ok: boolean; readonly record: string | null; readonly policy: DmarcPolicy | null; readonly problem: string | null };
  readonly dkim: readonly { name: string; target: string; ok: boolean; bits: number | null; problem: string | null }[];
}

export interface Verification {
  readonly domain: string;
  readonly recordType: RecordSetName;
  /** True only when every record is LIVE and every check passes. */
  readonly ready: boolean;
  readonly records: readonly RecordVerification[];
  readonly checks: VerificationChecks;
  readonly checkedAt: string;
}

/**
 * Every record LIVE (on the servers that answered) and the SPF, DMARC and DKIM checks passing: `ready` but for the
 * name-server check. The watches tell "a name server did not answer" from "a record broke" by it.
 */
export function recordsAndMailChecksPass(verification: Pick<Verification, 'records' | 'checks'>): boolean {
  const { records, checks } = verification;
  return records.every((r) => r.status === 'LIVE') && checks.spf.ok && checks.dmarc.ok && checks.dkim.every((d) => d.ok);
}

export interface VerifyServiceDeps {
  readonly templates: TemplateSet;
  readonly templateVariables: Readonly<Record<string, string>>;
  readonly authoritative: AuthoritativeClient;
  /** The configured recursive resolvers (DNS_RESOLVERS): the recursive view, DKIM keys, SPF lookup counts. */
  readonly recursive: Resolver;
  readonly countSpfLookups: (record: string) => Promise<SpfLookupCount>;
  readonly logger: Logger;
}

export interface VerifyService {
  /** `logger`: the request's (its lines carry the request id); the service's own when absent. */
  verify(domain: string, recordType: RecordSetName, logger?: Log): Promise<Verification>;
}

/** What one expected record asks of a name's answers. */
type Expectation =
  | { readonly kind: 'exact'; readonly type: Exclude<QueryType, 'NS' | 'SOA' | 'PTR'>; readonly name: string; readonly content: string }
  /** A TXT record added only when none with this prefix exists (DMARC): any valid one satisfies it. */
  | { readonly kind: 'prefix'; readonly name: string; readonly prefix: string; readonly content: string }
  /** The SPF merge: exactly one SPF record at the name, holding these rules. */
  | { readonly kind: 'spf'; readonly name: string; readonly rules: string };

const RFC7208_LOOKUP_LIMIT = 10;
const RFC7208_VOID_LIMIT = 2;

export function createVerifyService(deps: VerifyServiceDeps): VerifyService {
  return {
    async verify(domain, recordType, logger = deps.logger) {
      const expectations = expectationsOf(resolveTemplate(deps.templates.get(recordType), { domain, variables: deps.templateVariables }));
      let servers: AuthoritativeServer[];
      try {
        servers = await deps.authoritative.servers(domain);
      } catch (error) {
        if (!(error instanceof NoAuthoritativeServers)) throw error;
        throw AppError.of(error.lookupFailed ? 'VERIFY_LOOKUP_FAILED' : 'VERIFY_NO_NAMESERVERS', error.message, { cause: error });
      }

      // Each (server, name, type) is asked once per verification, whoever needs it.
      const asked = new Map<string, Promise<ServerReply>>();
      const ask = (server: AuthoritativeServer, name: string, type: QueryType) => {
        const key = `${server.address}|${name}|${type}`;
        let reply = asked.get(key);
        if (!reply) {
          reply = deps.authoritative.ask(server, name, type);
          asked.set(key, reply);
        }
        return reply;
      };
      const askRecursive = async (name: string, type: QueryType): Promise<ServerReply> => {
        try {
          return { ok: true, response: await deps.recursive.query(name, type) };
        } catch (error) {
          if (!(error instanceof DnsLookupError)) throw error;
          return { ok: false, reason: error.reason, detail: error.failures.join('; ') || error.reason };
        }
      };

      const apex = domain;
      const dmarcName = `_dmarc.${apex}`;
      const [records, apexTxt, dmarcTxt] = await Promise.all([
        Promise.all(
          expectations.map(async (expectation): Promise<RecordVerification> => {
            const type = queryType(expectation);
            const views = await Promise.all(servers.map(async (s) => view(s.host, s.address, await ask(s, expectation.name, type), expectation)));
            const recursive = view('recursive', '', await askRecursive(expectation.name, type), expectation);
            return {
              type,
              name: expectation.name,
              expected: expectation.kind === 'spf' ? expectation.rules : expectation.content,
              status: statusOf(views),
              servers: views,
              recursive,
            };
          }),
        ),
        Promise.all(servers.map((s) => ask(s, apex, 'TXT'))),
        Promise.all(servers.map((s) => ask(s, dmarcName, 'TXT'))),
      ]);

      // A server that failed any question is reported (its first failure); the verification itself fails (code 10)
      // only when some question got no answer from any server: then a record could not be judged at all. Servers
      // that each failed a different question still decide every record between them.
      const failures = new Map<string, string>();
      const answered = new Map<string, boolean>();
      for (const [key, reply] of asked) {
        const settled = await reply;
        const at = key.indexOf('|');
        const address = key.slice(0, at);
        const question = key.slice(at + 1);
        if (!settled.ok && !failures.has(address)) failures.set(address, `${settled.reason}: ${settled.detail}`);
        answered.set(question, (answered.get(question) ?? false) || settled.ok);
      }
      if ([...answered.values()].includes(false)) {
        throw AppError.of('VERIFY_FAILED', servers.flatMap((s) => (failures.has(s.address) ? [`${s.host} (${s.address}) ${failures.get(s.address)}`] : [])).join('; '));
      }

      const spfRules = expectations.find((e): e is Extract<Expectation, { kind: 'spf' }> => e.kind === 'spf')?.rules ?? null;
      const checks: VerificationChecks = {
        nameservers: {
          ok: failures.size === 0,
          servers: servers.map((s) => ({ host: s.host, address: s.address, ok: !failures.has(s.address), error: failures.get(s.address) ?? null })),
        },
        spf: await spfCheck(apexTxt, apex, spfRules, deps, logger),
        dmarc: worstOf(dmarcTxt.flatMap((r) => (r.ok ? [checkDmarc(txtAnswer(r.response, dmarcName).values)] : []))) ?? {
          ok: false,
          record: null,
          policy: null,
          problem: 'no name server answered for _dmarc',
        },
        dkim: await Promise.all(
          expectations
            .filter((e): e is Extract<Expectation, { kind: 'exact' }> => e.kind === 'exact' && e.type === 'CNAME' && /(^|\.)_domainkey\./.test(e.name))
            .map(async (e) => {
              // The key lives at the CNAME's target, in the platform's own zone: asked through the resolvers.
              const reply = await askRecursive(e.content, 'TXT');
              const key = reply.ok
                ? checkDkimKey(txtAnswer(reply.response, e.content).values)
                : { ok: false, bits: null, problem: `the key lookup failed (${reply.reason})` };
              return { name: e.name, target: e.content, ...key };
            }),
        ),
      };
      const ready = checks.nameservers.ok && recordsAndMailChecksPass({ records, checks });
      return { domain, recordType, ready, records, checks, checkedAt: new Date().toISOString() };
    },
  };
}

/** The template's records as expectations; the DMARC variants (one prefix, several contents) become one. */
function expectationsOf(records: readonly ResolvedRecord[]): Expectation[] {
  const out: Expectation[] = [];
  for (const r of records) {
    if (r.type === 'SPFM') out.push({ kind: 'spf', name: r.name, rules: r.content });
    else if (r.type === 'TXT' && r.txtConflictMatchingMode === 'Prefix' && r.txtConflictMatchingPrefix) {
      const prefix = r.txtConflictMatchingPrefix;
      if (!out.some((e) => e.kind === 'prefix' && e.name === r.name && e.prefix.toLowerCase() === prefix.toLowerCase())) {
        out.push({ kind: 'prefix', name: r.name, prefix, content: r.content });
      }
    } else {
      // MX answers read `preference exchange`; the expectation says the same.
      const content = r.type === 'MX' ? `${r.priority ?? 0} ${bare(r.content)}` : r.content;
      out.push({ kind: 'exact', type: r.type, name: r.name, content });
    }
  }
  return out;
}

function queryType(e: Expectation): QueryType {
  return e.kind === 'exact' ? e.type : 'TXT';
}

const bare = (name: string) => name.toLowerCase().replace(/\.$/, '');

/** The values at `name` for `type` in a response, in the neutral form the expectations use. */
function valuesAt(response: DnsResponse, name: string, type: QueryType): string[] {
  if (type === 'TXT') return txtAnswer(response, name).values;
  const owner = bare(name);
  return response.answers.flatMap((a) => {
    if (bare(a.name) !== owner || a.type !== type) return [];
    if (a.type === 'MX') return [`${a.data.preference} ${bare(a.data.exchange)}`];
    if (a.type === 'SOA') return [];
    return [a.type === 'A' || a.type === 'AAAA' ? a.data.toLowerCase() : bare(a.data)];
  });
}

function view(server: string, address: string, reply: ServerReply, e: Expectation): ServerView {
  if (!reply.ok) return { server, address, result: 'error', answers: [], error: `${reply.reason}: ${reply.detail}` };
  const type = queryType(e);
  const answers = valuesAt(reply.response, e.name, type);
  // A name that holds a CNAME answers it for any type: for a TXT or A expectation that is something else.
  const alias = type !== 'CNAME' ? reply.response.answers.find((a) => a.type === 'CNAME' && bare(a.name) === bare(e.name)) : undefined;
  const shown = alias && answers.length === 0 ? [`CNAME ${bare(alias.data as string)}`] : answers;
  let result: ServerView['result'];
  if (e.kind === 'exact') {
    const wanted = e.type === 'MX' ? e.content : bare(e.content);
    result = answers.some((a) => a === wanted) ? 'match' : shown.length > 0 ? 'other' : 'missing';
  } else if (e.kind === 'spf') {
    const spf = checkSpfRecords(answers, e.rules);
    result = spf.ok ? 'match' : spf.records > 0 || alias ? 'other' : 'missing';
  } else {
    const prefixed = answers.filter((a) => a.trim().toLowerCase().startsWith(e.prefix.toLowerCase()));
    const valid = /^v=dmarc1$/i.test(e.prefix) ? checkDmarc(answers).ok : prefixed.length === 1;
    result = valid ? 'match' : prefixed.length > 0 || alias ? 'other' : 'missing';
  }
  return { server, address, result, answers: shown, error: null };
}

function statusOf(views: readonly ServerView[]): RecordStatus {
  const answered = views.filter((v) => v.result !== 'error');
  const matching = answered.filter((v) => v.result === 'match').length;
  if (answered.length > 0 && matching === answered.length) return 'LIVE';
  if (matching > 0) return 'PROPAGATING';
  return answered.some((v) => v.result === 'other') ? 'WRONG' : 'MISSING';
}

/** The first failing check of several servers' views, else the first: one lagging server must not hide a problem. */
function worstOf<T extends { ok: boolean }>(checks: readonly T[]): T | undefined {
  return checks.find((c) => !c.ok) ?? checks[0];
}

async function spfCheck(replies: readonly ServerReply[], apex: string, rules: string | null, deps: VerifyServiceDeps, log: Log): Promise<VerificationChecks['spf']> {
  const views = replies.flatMap((r) => (r.ok ? [checkSpfRecords(txtAnswer(r.response, apex).values, rules)] : []));
  const spf = worstOf(views);
  if (!spf) return { ok: false, records: 0, record: null, include: null, lookups: null, voidLookups: null, problem: 'no name server answered for the apex' };
  const base = { records: spf.records, record: spf.record, include: spf.hasRules };
  if (!spf.record) return { ...base, ok: spf.ok, lookups: null, voidLookups: null, problem: spf.problem };
  try {
    const count = await deps.countSpfLookups(spf.record);
    const problem =
      spf.problem ??
      (count.lookups > RFC7208_LOOKUP_LIMIT
        ? `the SPF record needs ${count.lookups} DNS lookups (RFC 7208 allows ${RFC7208_LOOKUP_LIMIT})`
        : count.voidLookups > RFC7208_VOID_LIMIT
          ? `the SPF record has ${count.voidLookups} void lookups (RFC 7208 allows ${RFC7208_VOID_LIMIT})`
          : (count.errors[0] ?? null));
    return { ...base, ok: problem === null, lookups: count.lookups, voidLookups: count.voidLookups, problem };
  } catch (error) {
    log.warn({ domain: apex, err: (error as Error).message }, 'SPF lookup count failed during verification');
    return { ...base, ok: false, lookups: null, voidLookups: null, problem: `the SPF lookup count could not be established: ${(error as Error).message}` };
  }
}
