/**
 * Asks a zone's own name servers, not a cache: the authoritative view verification needs. The servers are the NS of
 * the registrable domain (found through the configured recursive resolvers), each asked directly, without recursion,
 * with a short timeout and one retry over TCP when a UDP answer is truncated (RFC 7766 §5). Queries are bounded by
 * one concurrency limit shared by every verification, so a thousand due checks never open a thousand sockets.
 */
import type { LimitFunction } from 'p-limit';
import { registrableDomain } from '../domain.js';
import { isPublicAddress } from './address-policy.js';
import { createResolver, DnsLookupError, type DnsResponse, type QueryType, type Resolver } from './resolver.js';

export interface AuthoritativeServer {
  /** The NS host name. */
  readonly host: string;
  /** The address asked (`ip`), from the host's A/AAAA records. */
  readonly address: string;
}

/** One server's answer to one question, or why there is none. */
export type ServerReply =
  | { readonly ok: true; readonly response: DnsResponse }
  | { readonly ok: false; readonly reason: 'timeout' | 'servfail' | 'refused' | 'network' | 'bad_response'; readonly detail: string };

export class NoAuthoritativeServers extends Error {
  override readonly name = 'NoAuthoritativeServers';
  constructor(
    message: string,
    /** True when a lookup failed (the resolvers did not answer), false when the domain has no usable NS. */
    readonly lookupFailed: boolean,
  ) {
    super(message);
  }
}

export interface AuthoritativeOptions {
  /** The configured recursive resolvers (DNS_RESOLVERS). */
  readonly recursive: Resolver;
  /** Port the authoritative servers are asked on. @default 53 (DNS_AUTHORITATIVE_PORT; tests use another) */
  readonly port: number;
  /** Bound on one question to one server, TCP retry included. */
  readonly timeoutMs: number;
  /** Shared bound on queries in flight. */
  readonly limit: LimitFunction;
  /** Allow NS addresses that are not public (loopback, private). @default false: only tests set it */
  readonly allowPrivate: boolean;
}

export interface AuthoritativeClient {
  /** The zone's name servers with their addresses, in NS order. Throws `NoAuthoritativeServers`. */
  servers(domain: string): Promise<AuthoritativeServer[]>;
  ask(server: AuthoritativeServer, name: string, type: QueryType): Promise<ServerReply>;
}

export function createAuthoritativeClient(options: AuthoritativeOptions): AuthoritativeClient {
  /** One resolver per address, each asking only that server, once, without recursion. */
  const direct = new Map<string, Resolver>();
  const resolverFor = (address: string): Resolver => {
    let resolver = direct.get(address);
    if (!resolver) {
      const server = address.includes(':') ? `[${address}]:${options.port}` : `${address}:${options.port}`;
      resolver = createResolver({ servers: [server], timeoutMs: options.timeoutMs, attempts: 1, recursionDesired: false });
      // Bounded: one entry per distinct name-server address seen, a few thousand at most in practice.
      if (direct.size >= 10_000) direct.clear();
      direct.set(address, resolver);
    }
    return resolver;
  };

  return {
    async servers(domain) {
      const apex = registrableDomain(domain) ?? domain;
      let hosts: string[];
      try {
        hosts = await options.limit(() => options.recursive.resolveNs(apex));
      } catch (error) {
        throw new NoAuthoritativeServers(`the NS lookup of ${apex} failed (${(error as DnsLookupError).reason ?? 'error'})`, true);
      }
      if (hosts.length === 0) throw new NoAuthoritativeServers(`${apex} has no NS records`, false);
      const found: AuthoritativeServer[] = [];
      const refused: string[] = [];
      let failedLookups = 0;
      for (const host of [...new Set(hosts)].sort()) {
        const lookups = await Promise.all(
          (['A', 'AAAA'] as const).map((type) =>
            options.limit(() => options.recursive.query(host, type)).then(
              (r) => r.answers.flatMap((a) => (a.type === type ? [a.data] : [])),
              () => null,
            ),
          ),
        );
        if (lookups.every((l) => l === null)) failedLookups++;
        for (const address of lookups.flatMap((l) => l ?? [])) {
          if (options.allowPrivate || isPublicAddress(address)) found.push({ host, address });
          else refused.push(`${host} (${address})`);
        }
      }
      if (found.length === 0) {
        const why = refused.length > 0 ? `its name servers resolve only to addresses that are not public: ${refused.join(', ')}` : `the addresses of its name servers (${hosts.join(', ')}) could not be found`;
        throw new NoAuthoritativeServers(`${apex}: ${why}`, refused.length === 0 && failedLookups > 0);
      }
      return found;
    },

    async ask(server, name, type) {
      try {
        const response = await options.limit(() => resolverFor(server.address).query(name, type));
        return { ok: true, response };
      } catch (error) {
        if (!(error instanceof DnsLookupError)) throw error;
        return { ok: false, reason: error.reason, detail: error.failures.join('; ') || error.reason };
      }
    },
  };
}
