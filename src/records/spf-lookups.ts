/**
 * Counts the DNS-querying terms an SPF record costs a receiver, by RFC 7208 §4.6.4: more than 10 is a permerror,
 * and so is more than 2 "void" lookups. Receivers stop at the first failure; we keep counting (up to a hard cap) so
 * a caller can show how far over the limit a record is, and list every problem found.
 *
 * The count is the worst case: every mechanism is assumed to be evaluated (a receiver stops at the first match).
 */
import { createAnswerCache, type AnswerCacheOptions, type TimedAnswer } from '../detection/answer-cache.js';
import { txtAnswer, type Resolver } from '../detection/resolver.js';
import { isSpf } from './spf.js';
import { isPromise, type MaybePromise } from '../maybe-promise.js';

export interface SpfLookupCount {
  /** DNS-querying terms (`include`, `a`, `mx`, `ptr`, `exists`, `redirect`), nested includes and redirects included. */
  readonly lookups: number;
  /** Included / redirected names with no TXT record at all (RFC 7208 §4.6.4 "void lookup"). */
  readonly voidLookups: number;
  /**
   * Included / redirected names whose TXT lookup failed (timeout, SERVFAIL): their own terms could not be counted, so
   * `lookups` is then only a lower bound. Each is also one of `errors`.
   */
  readonly failedLookups: number;
  /** Problems that make receivers return permerror or temperror, one sentence each. Empty means the record is fine. */
  readonly errors: string[];
}

/** RFC 7208 §4.6.4: "SPF implementations MUST limit the total number of those terms to 10". */
export const SPF_LOOKUP_LIMIT = 10;
/** RFC 7208 §4.6.4: "SHOULD limit the number of void lookups to two". */
export const SPF_VOID_LOOKUP_LIMIT = 2;
/**
 * Counting stops past this many lookups: the record already fails, and it bounds the DNS traffic one check causes.
 * @default 20
 */
export const SPF_COUNT_CAP = 20;

const COUNTED_MECHANISMS = new Set(['include', 'a', 'mx', 'ptr', 'exists']);
const UNCOUNTED_MECHANISMS = new Set(['all', 'ip4', 'ip6']);

interface Term {
  readonly kind: 'mechanism' | 'modifier';
  readonly name: string;
  /** The domain-spec (or modifier value), without the CIDR suffix; empty when absent. */
  readonly value: string;
}

/** Whether a TXT string is an SPF record (leading white space allowed, as in a hand-edited record). */
export const isSpfRecord = (txt: string): boolean => isSpf(txt.trim());

function parseTerms(record: string): Term[] {
  return record
    .trim()
    .split(/ +/)
    .slice(1)
    .filter((t) => t !== '')
    .map((raw): Term => {
      const modifier = /^([a-z][a-z0-9_.-]*)=(.*)$/i.exec(raw);
      if (modifier) return { kind: 'modifier', name: modifier[1]!.toLowerCase(), value: modifier[2]! };
      const body = raw.replace(/^[+\-~?]/, '');
      const colon = body.indexOf(':');
      const head = (colon === -1 ? body : body.slice(0, colon)).replace(/\/.*$/, '');
      const rest = colon === -1 ? '' : body.slice(colon + 1);
      // The domain-spec may end in a dual CIDR length (`a:host/24//64`); macros may contain '/', so only a
      // trailing numeric suffix is removed.
      return { kind: 'mechanism', name: head.toLowerCase(), value: rest.replace(/(?:\/\d+)?(?:\/\/\d+)?$/, '') };
    });
}

const normaliseTarget = (name: string): string => name.toLowerCase().replace(/\.$/, '');

/**
 * Walks `spfRecord` and every record it includes or redirects to. `resolveTxt` returns the TXT strings at a name
 * (chunks joined), `[]` when there are none, and throws when the lookup fails.
 */
export async function countSpfLookups(
  spfRecord: string,
  resolveTxt: (name: string) => Promise<string[]>,
  options: {
    /** @default SPF_COUNT_CAP (20) */
    cap?: number;
    /** The name the record is published at, so that an include leading back to it is reported as a loop. */
    domain?: string;
  } = {},
): Promise<SpfLookupCount> {
  const cap = options.cap ?? SPF_COUNT_CAP;
  let lookups = 0;
  let voidLookups = 0;
  let failedLookups = 0;
  const errors: string[] = [];
  let capped = false;

  /** Fetches the one SPF record at `target`, or null after noting why there is none. */
  async function fetchSpf(target: string, via: string): Promise<string | null> {
    let txts: string[];
    try {
      txts = await resolveTxt(target);
    } catch (error) {
      failedLookups++;
      errors.push(`${via}: the lookup failed (${error instanceof Error ? error.message : String(error)})`);
      return null;
    }
    const spf = txts.filter(isSpfRecord);
    if (txts.length === 0) {
      voidLookups++;
      errors.push(`${via}: ${target} has no TXT record (void lookup)`);
      return null;
    }
    if (spf.length === 0) {
      errors.push(`${via}: ${target} has no SPF record`);
      return null;
    }
    if (spf.length > 1) {
      errors.push(`${via}: ${target} has ${spf.length} SPF records (only one is allowed)`);
      return null;
    }
    return spf[0]!;
  }

  /** `chain` holds the names being evaluated above this record, to spot include/redirect loops. */
  async function walk(record: string, chain: readonly string[]): Promise<void> {
    const terms = parseTerms(record);
    const hasAll = terms.some((t) => t.kind === 'mechanism' && t.name === 'all');
    const redirects = terms.filter((t) => t.kind === 'modifier' && t.name === 'redirect');
    if (redirects.length > 1) errors.push(`${describe(chain)}: more than one redirect= modifier`);
    if (terms.filter((t) => t.kind === 'modifier' && t.name === 'exp').length > 1) {
      errors.push(`${describe(chain)}: more than one exp= modifier`);
    }

    for (const term of terms) {
      if (capped) return;
      if (term.kind === 'modifier') continue;
      if (UNCOUNTED_MECHANISMS.has(term.name)) continue;
      if (!COUNTED_MECHANISMS.has(term.name)) {
        errors.push(`${describe(chain)}: unknown mechanism "${term.name}"`);
        continue;
      }
      if ((term.name === 'include' || term.name === 'exists') && term.value === '') {
        errors.push(`${describe(chain)}: ${term.name} needs a domain`);
      }
      if (!count()) return;
      if (term.name === 'include') await follow('include', term.value, chain);
    }
    // RFC 7208 §6.1: redirect is ignored when the record has an "all" mechanism, so it never costs a lookup then.
    const redirect = redirects[0];
    if (redirect && !hasAll && !capped) {
      if (!count()) return;
      await follow('redirect', redirect.value, chain);
    }
  }

  function count(): boolean {
    lookups++;
    if (lookups > cap) {
      capped = true;
      return false;
    }
    return true;
  }

  async function follow(kind: 'include' | 'redirect', value: string, chain: readonly string[]): Promise<void> {
    if (value === '') return;
    const via = `${kind}${kind === 'include' ? ':' : '='}${value}`;
    // Macros (%{d}, %{i}, …) name a different domain for each message: the term costs a lookup, but what it
    // would fetch cannot be known here.
    if (value.includes('%')) return;
    const target = normaliseTarget(value);
    if (chain.includes(target)) {
      errors.push(`${via}: loop (${[...chain, target].join(' → ')})`);
      return;
    }
    const record = await fetchSpf(target, via);
    if (record !== null) await walk(record, [...chain, target]);
  }

  function describe(chain: readonly string[]): string {
    return chain.length === 0 ? 'the record' : chain[chain.length - 1]!;
  }

  if (!isSpfRecord(spfRecord)) {
    return { lookups: 0, voidLookups: 0, failedLookups: 0, errors: ['not an SPF record (it must start with "v=spf1")'] };
  }
  await walk(spfRecord, options.domain ? [normaliseTarget(options.domain)] : []);
  if (capped) errors.push(`counting stopped after ${cap} DNS lookups`);
  if (lookups > SPF_LOOKUP_LIMIT) {
    errors.push(`${capped ? `more than ${cap}` : lookups} DNS lookups (the limit is ${SPF_LOOKUP_LIMIT})`);
  }
  if (voidLookups > SPF_VOID_LOOKUP_LIMIT) errors.push(`${voidLookups} void lookups (the limit is ${SPF_VOID_LOOKUP_LIMIT})`);
  return { lookups: Math.min(lookups, cap + 1), voidLookups, failedLookups, errors };
}

/** TXT strings at a name, as the answer cache keeps them: the value itself on a hit, a promise on a miss. */
export type SharedTxtLookup = (name: string) => MaybePromise<readonly string[]>;

/**
 * TXT answers through `resolver`, kept for their TTL (src/detection/answer-cache.ts), as any caching resolver would:
 * every `dns.set` of every customer walks the same include chain (the platform's own `include:`), and without the
 * cache each one sent the same queries again, a UDP socket apiece (a fifth of a dry run's CPU profile). A hit is the
 * very array the lookup produced (shared: never modify it), which is what lets `spfLookupCounter` tell that the
 * answers a count was made from are still the ones in force.
 */
export function sharedTxtLookupVia(resolver: Pick<Resolver, 'query'>, options: AnswerCacheOptions = {}): SharedTxtLookup {
  const lookup = createAnswerCache(async (name): Promise<TimedAnswer<readonly string[]>> => {
    const { values, ttlSeconds } = txtAnswer(await resolver.query(name, 'TXT'), name);
    return { value: Object.freeze(values), ttlSeconds };
  }, options);
  return (name) => lookup(normaliseTarget(name));
}

/** Adapts a resolver to `countSpfLookups`: TXT strings at a name, `[]` for none, `DnsLookupError` on failure. */
export function resolveTxtVia(resolver: Pick<Resolver, 'query'>, options: AnswerCacheOptions = {}): (name: string) => Promise<string[]> {
  return copiedTxt(sharedTxtLookupVia(resolver, options));
}

/** `lookup` for a caller that may keep or change what it gets: each call gets its own array (the cached one is shared). */
export function copiedTxt(lookup: SharedTxtLookup): (name: string) => Promise<string[]> {
  return async (name) => [...(await lookup(name))];
}

/** Distinct SPF records whose count `spfLookupCounter` keeps (first in, first out). */
const MAX_REMEMBERED_COUNTS = 1000;

/**
 * `countSpfLookups` for records seen before, without walking them again while the answers they were counted from
 * are still the cached ones. A dns.set plans the same merged SPF record for most customers (the platform's include
 * plus `-all` or `~all`), and walking it (parsing every record of the chain, one await per lookup) was about 5 % of a
 * dry run's CPU. A remembered count lists each name it consulted and the answer it got; it is used only if every one
 * of those names still answers, from the cache and synchronously, that very answer. An answer that expired (or was
 * evicted) is a miss, so the record is counted afresh, through the resolver: a count is never older than the TTLs
 * of the answers it rests on. A count in which a lookup failed is never remembered (failures are not cached either).
 */
export function spfLookupCounter(lookup: SharedTxtLookup, options: { cap?: number } = {}): (spfRecord: string, domain?: string) => Promise<SpfLookupCount> {
  const remembered = new Map<string, { readonly count: SpfLookupCount; readonly consulted: readonly (readonly [string, readonly string[]])[] }>();
  const stillAnswers = (consulted: readonly (readonly [string, readonly string[]])[]): boolean => {
    for (const [name, answer] of consulted) {
      const now = lookup(name);
      if (now === answer) continue;
      // A miss has started a lookup that the fresh count below will wait for; its failure is that count's to report.
      if (isPromise(now)) now.then(undefined, () => undefined);
      return false;
    }
    return true;
  };
  return async (spfRecord, domain) => {
    const key = domain === undefined ? spfRecord : `${domain}\n${spfRecord}`;
    const hit = remembered.get(key);
    if (hit && stillAnswers(hit.consulted)) return hit.count;
    const consulted: (readonly [string, readonly string[]])[] = [];
    const count = await countSpfLookups(
      spfRecord,
      async (name) => {
        const answer = await lookup(name);
        consulted.push([name, answer]);
        return [...answer];
      },
      { ...options, ...(domain === undefined ? {} : { domain }) },
    );
    if (count.failedLookups > 0) {
      remembered.delete(key);
      return count;
    }
    const frozen = Object.freeze({ ...count, errors: Object.freeze([...count.errors]) as string[] });
    remembered.delete(key);
    if (remembered.size >= MAX_REMEMBERED_COUNTS) remembered.delete(remembered.keys().next().value!);
    remembered.set(key, { count: frozen, consulted });
    return frozen;
  };
}
