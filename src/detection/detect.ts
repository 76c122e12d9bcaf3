/**
 * Which DNS provider hosts a domain's zone: find the nearest NS rrset from the name up to its registrable domain,
 * then match the nameserver host names against the provider table.
 *
 * Never queries above the registrable domain: the NS of a public suffix (`co.uk`) says nothing about the customer.
 * Lookup failures (timeout, SERVFAIL) propagate as `DnsLookupError` and are never cached as "no provider".
 */
import { registrableDomain } from '../domain.js';
import { NAMESERVER_PATTERNS, matchNameserver, normaliseHost } from './nameserver-patterns.js';
import type { NameserverPattern } from './nameserver-patterns.js';
import type { DnsAnswer, Resolver } from './resolver.js';
import { createAnswerCache, type TimedAnswer } from './answer-cache.js';
import { isPromise, type MaybePromise } from '../maybe-promise.js';

export interface Detection {
  /** Provider id from the table (`cloudflare`, `route53`, …). */
  readonly provider: string;
  readonly providerName: string;
  readonly supported: boolean;
  /** The zone's NS host names, lower case, no trailing dot, sorted. */
  readonly nameservers: string[];
  /** The name the NS rrset was found at: the zone apex that the provider must be asked about. */
  readonly zone: string;
}

export interface ProviderDetectorOptions {
  readonly resolver: Pick<Resolver, 'query'>;
  /**
   * Clock in milliseconds, for cache expiry.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * Names kept in the cache; the least recently used is dropped past this.
   * @default 1000
   */
  readonly maxCacheEntries?: number;
  /**
   * Upper bound on how long any answer is cached, whatever its TTL says.
   * @default 3600
   */
  readonly maxTtlSeconds?: number;
  /** @default NAMESERVER_PATTERNS */
  readonly patterns?: readonly NameserverPattern[];
}

export interface ProviderDetector {
  /**
   * `domain` must already be normalised (src/domain.ts). Returns null when no delegation is found up to the
   * registrable domain, or when the nearest NS rrset matches no known provider. Synchronous (a value, or a throw)
   * when every NS answer it needs is cached; otherwise a promise.
   */
  detect(domain: string): MaybePromise<Detection | null>;
}

/** The NS answer at one name: the rrset, or nothing there (NXDOMAIN / NODATA). */
type NsLookup = { readonly nameservers: string[] } | { readonly nameservers: null };

/** `mail.example.co.uk` with apex `example.co.uk` → [`mail.example.co.uk`, `example.co.uk`]. */
export function namesUpTo(domain: string, apex: string): string[] {
  if (domain !== apex && !domain.endsWith(`.${apex}`)) return [];
  const names: string[] = [];
  let current = domain;
  while (current !== apex) {
    names.push(current);
    current = current.slice(current.indexOf('.') + 1);
  }
  names.push(apex);
  return names;
}

/**
 * The winner among the NS hosts: the provider that the most hosts match. A tie goes to a supported provider, then to
 * the one earlier in the table. Hosts matching nothing do not vote, so a zone on Cloudflare plus one vanity or
 * unknown NS is still Cloudflare; a zone split evenly between Cloudflare and Route 53 (multi-provider DNS) is
 * reported as Cloudflare, which can then write its half.
 */
export function pickProvider(hosts: readonly string[], table: readonly NameserverPattern[] = NAMESERVER_PATTERNS): NameserverPattern | null {
  const votes = new Map<NameserverPattern, number>();
  for (const host of hosts) {
    const match = matchNameserver(host, table);
    if (match) votes.set(match, (votes.get(match) ?? 0) + 1);
  }
  let best: NameserverPattern | null = null;
  let bestVotes = 0;
  for (const entry of table) {
    const count = votes.get(entry) ?? 0;
    if (count === 0) continue;
    if (count > bestVotes || (count === bestVotes && best !== null && !best.supported && entry.supported)) {
      best = entry;
      bestVotes = count;
    }
  }
  return best;
}

export function createProviderDetector(options: ProviderDetectorOptions): ProviderDetector {
  const { resolver } = options;
  const table = options.patterns ?? NAMESERVER_PATTERNS;
  // The provider each cached NS answer names, matched once per answer rather than once per request: a cache hit hands
  // back the same NsLookup object until it expires, and the entry goes with it.
  const matched = new WeakMap<NsLookup, NameserverPattern | null>();
  const providerOf = (lookup: NsLookup, nameservers: readonly string[]): NameserverPattern | null => {
    let match = matched.get(lookup);
    if (match === undefined) {
      match = pickProvider(nameservers, table);
      matched.set(lookup, match);
    }
    return match;
  };

  async function queryNs(name: string): Promise<TimedAnswer<NsLookup>> {
    const response = await resolver.query(name, 'NS');
    // Only NS records owned by the name itself mark a zone cut there; a CNAME answer means "not an apex".
    const records = response.answers.filter(
      (a): a is Extract<DnsAnswer, { data: string }> => a.type === 'NS' && normaliseHost(a.name) === name,
    );
    if (records.length > 0) {
      const nameservers = [...new Set(records.map((r) => normaliseHost(r.data)))].sort();
      return { value: { nameservers }, ttlSeconds: Math.min(...records.map((r) => r.ttl)) };
    }
    // No TTL (a negative answer without SOA) means "do not cache" (RFC 2308 §5).
    return { value: { nameservers: null }, ttlSeconds: response.negativeTtl };
  }

  const lookupNs = createAnswerCache(queryNs, { now: options.now, maxEntries: options.maxCacheEntries, maxTtlSeconds: options.maxTtlSeconds });

  /** The detection from the NS answer at `name`; undefined when there is none there (ask the parent). */
  const detectionAt = (lookup: NsLookup, name: string): Detection | null | undefined => {
    const { nameservers } = lookup;
    if (nameservers === null) return undefined;
    // The nearest delegation is the zone: a parent's NS would name a provider that cannot write this name.
    const match = providerOf(lookup, nameservers);
    if (!match) return null;
    return { provider: match.id, providerName: match.name, supported: match.supported, nameservers, zone: name };
  };

  /** Walks `names` from `first` up, synchronously while the answers are cached. */
  const detectFrom = (names: readonly string[], first: number): MaybePromise<Detection | null> => {
    for (let i = first; i < names.length; i++) {
      const name = names[i]!;
      const lookup = lookupNs(name);
      if (isPromise(lookup)) {
        return lookup.then((answer) => {
          const found = detectionAt(answer, name);
          return found === undefined ? detectFrom(names, i + 1) : found;
        });
      }
      const found = detectionAt(lookup, name);
      if (found !== undefined) return found;
    }
    return null;
  };

  return {
    detect(domain) {
      const apex = registrableDomain(domain);
      if (apex === null) return null;
      return detectFrom(namesUpTo(domain, apex), 0);
    },
  };
}
