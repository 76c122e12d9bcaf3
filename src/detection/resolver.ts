/**
 * A small stub-resolver client: one question, UDP first, TCP when the answer is truncated, the next server on
 * timeout or SERVFAIL. Node's `dns` module is not used because it hides what detection needs: the rcode (NODATA vs
 * NXDOMAIN), the TTLs, and the SOA minimum that bounds how long a negative answer may be cached (RFC 2308).
 */
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { getServers } from 'node:dns';
import { isIP } from 'node:net';
import net from 'node:net';
import * as packet from 'dns-packet';
import type { DecodedPacket, Answer as WireAnswer } from 'dns-packet';

export type QueryType = 'A' | 'AAAA' | 'NS' | 'TXT' | 'MX' | 'CNAME' | 'SOA' | 'PTR';

export interface SoaInfo {
  readonly mname: string;
  readonly rname: string;
  readonly serial: number;
  readonly minimum: number;
}

/** A decoded resource record. Types outside this union (RRSIG, OPT, …) are dropped while decoding. */
export type DnsAnswer =
  | { readonly name: string; readonly type: 'A' | 'AAAA' | 'NS' | 'CNAME' | 'PTR'; readonly ttl: number; readonly data: string }
  /** TXT data: the character-strings of one record, as sent (a long value arrives as several ≤255-byte chunks). */
  | { readonly name: string; readonly type: 'TXT'; readonly ttl: number; readonly data: readonly string[] }
  | { readonly name: string; readonly type: 'MX'; readonly ttl: number; readonly data: { preference: number; exchange: string } }
  | { readonly name: string; readonly type: 'SOA'; readonly ttl: number; readonly data: SoaInfo };

export interface DnsResponse {
  /** `NOERROR`, `NXDOMAIN` (the only two a query resolves with; other rcodes make it try the next server). */
  readonly rcode: string;
  readonly answers: readonly DnsAnswer[];
  readonly authority: readonly DnsAnswer[];
  /** For an answer with no records of the asked type: min(SOA TTL, SOA minimum) seconds (RFC 2308 §5). */
  readonly negativeTtl?: number;
  /** The server that answered, as `host:port`. */
  readonly server: string;
  readonly transport: 'udp' | 'tcp';
}

export type DnsFailureReason = 'timeout' | 'servfail' | 'refused' | 'network' | 'bad_response';

/** A lookup that produced no usable answer from any server. Never means "the name has no records". */
export class DnsLookupError extends Error {
  override readonly name = 'DnsLookupError';
  constructor(
    readonly reason: DnsFailureReason,
    readonly query: { name: string; type: QueryType },
    /** One line per server tried, e.g. `127.0.0.1:53 timeout`. */
    readonly failures: readonly string[],
  ) {
    super(`DNS ${query.type} lookup of ${query.name} failed (${reason}): ${failures.join('; ')}`);
  }
}

export interface ResolverOptions {
  /**
   * `ip`, `ip:port` or `[v6]:port`.
   * @default [] — the system's resolvers (`dns.getServers()`).
   */
  readonly servers?: readonly string[];
  /**
   * Bound on one try at one server, UDP and any TCP retry together. A query fails after at most
   * `timeoutMs × servers × attempts`.
   * @default 2000
   */
  readonly timeoutMs?: number;
  /**
   * Rounds over the server list.
   * @default 2
   */
  readonly attempts?: number;
  /**
   * Sets the RD bit. Off when asking a zone's authoritative servers directly (verification): they answer from their
   * own data, never from a cache.
   * @default true
   */
  readonly recursionDesired?: boolean;
}

export interface Resolver {
  query(name: string, type: QueryType): Promise<DnsResponse>;
  /** Each TXT record at `name` with its chunks joined; `[]` for NXDOMAIN or no TXT. Throws `DnsLookupError`. */
  resolveTxt(name: string): Promise<string[]>;
  /** NS host names at exactly `name`, lower case, no trailing dot; `[]` for NXDOMAIN or no NS. */
  resolveNs(name: string): Promise<string[]>;
}

interface ServerAddress {
  readonly host: string;
  readonly port: number;
  readonly label: string;
}

/** Parses `ip`, `ip:port`, `[v6]:port` and bare IPv6 (the forms `dns.getServers()` and DNS_RESOLVERS use). */
export function parseServer(server: string): ServerAddress {
  const trimmed = server.trim();
  let host = trimmed;
  let port = 53;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed);
  const v4WithPort = /^([^:]+):(\d+)$/.exec(trimmed);
  if (bracketed) {
    host = bracketed[1]!;
    if (bracketed[2]) port = Number(bracketed[2]);
  } else if (v4WithPort) {
    host = v4WithPort[1]!;
    port = Number(v4WithPort[2]);
  }
  if (!isIP(host) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TypeError(`"${server}" is not a DNS server address (ip, ip:port or [v6]:port)`);
  }
  return { host, port, label: isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}` };
}

const stripDot = (name: string): string => (name.endsWith('.') && name !== '.' ? name.slice(0, -1) : name);
const sameName = (a: string, b: string): boolean => stripDot(a).toLowerCase() === stripDot(b).toLowerCase();

function decodeAnswer(rr: WireAnswer): DnsAnswer | null {
  const name = stripDot(rr.name);
  const ttl = 'ttl' in rr && typeof rr.ttl === 'number' ? rr.ttl : 0;
  switch (rr.type) {
    case 'A':
    case 'AAAA':
    case 'NS':
    case 'CNAME':
    case 'PTR':
      return { name, type: rr.type, ttl, data: stripDot(rr.data) };
    case 'TXT': {
      const chunks = Array.isArray(rr.data) ? rr.data : [rr.data];
      return { name, type: 'TXT', ttl, data: chunks.map((c) => (typeof c === 'string' ? c : c.toString('utf8'))) };
    }
    case 'MX':
      return { name, type: 'MX', ttl, data: { preference: rr.data.preference ?? 0, exchange: stripDot(rr.data.exchange) } };
    case 'SOA':
      return {
        name,
        type: 'SOA',
        ttl,
        data: { mname: stripDot(rr.data.mname), rname: stripDot(rr.data.rname), serial: rr.data.serial ?? 0, minimum: rr.data.minimum ?? 0 },
      };
    default:
      return null;
  }
}

/** Whether `reply` answers exactly the question we sent (id, QR bit, same name and type). */
function isReplyTo(reply: DecodedPacket, id: number, name: string, type: QueryType): boolean {
  const q = reply.questions?.[0];
  return reply.type === 'response' && reply.id === id && q !== undefined && q.type === type && sameName(q.name, name);
}

class TryFailure extends Error {
  constructor(readonly reason: DnsFailureReason, detail: string) {
    super(detail);
  }
}

function udpExchange(server: ServerAddress, query: Buffer, accept: (p: DecodedPacket) => boolean, deadline: number): Promise<DecodedPacket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(isIP(server.host) === 6 ? 'udp6' : 'udp4');
    let done = false;
    const finish = (fn: () => void): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.removeAllListeners('message');
      socket.close();
      fn();
    };
    const timer = setTimeout(() => finish(() => reject(new TryFailure('timeout', 'timeout'))), Math.max(0, deadline - Date.now()));
    socket.on('error', (err) => finish(() => reject(new TryFailure('network', err.message))));
    socket.on('message', (msg, rinfo) => {
      // Packets from elsewhere, or with another id, are ignored rather than fatal: a spoofed or stale datagram
      // must not be able to cut a lookup short.
      if (rinfo.port !== server.port || rinfo.address !== server.host) return;
      let reply: DecodedPacket;
      try {
        reply = packet.decode(msg);
      } catch {
        return;
      }
      if (accept(reply)) finish(() => resolve(reply));
    });
    socket.send(query, server.port, server.host, (err) => {
      if (err) finish(() => reject(new TryFailure('network', err.message)));
    });
  });
}

function tcpExchange(server: ServerAddress, query: Buffer, accept: (p: DecodedPacket) => boolean, deadline: number): Promise<DecodedPacket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: server.host, port: server.port });
    let buffered = Buffer.alloc(0);
    let done = false;
    const finish = (fn: () => void): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      fn();
    };
    const timer = setTimeout(() => finish(() => reject(new TryFailure('timeout', 'timeout (tcp)'))), Math.max(0, deadline - Date.now()));
    socket.on('error', (err) => finish(() => reject(new TryFailure('network', `tcp: ${err.message}`))));
    socket.on('close', () => finish(() => reject(new TryFailure('network', 'tcp: connection closed before a reply'))));
    // RFC 1035 §4.2.2: each TCP message is preceded by its two-byte length.
    socket.on('connect', () => socket.write(Buffer.concat([lengthPrefix(query.length), query])));
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) return;
        const message = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        try {
          const reply = packet.decode(message);
          if (accept(reply)) return finish(() => resolve(reply));
        } catch {
          return finish(() => reject(new TryFailure('bad_response', 'tcp: undecodable reply')));
        }
      }
    });
  });
}

function lengthPrefix(length: number): Buffer {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(length);
  return prefix;
}

/**
 * The names an answer section is about for `name`: `name` itself plus every CNAME target reached from it, since a
 * recursive resolver answers a question about an alias with the CNAME chain and then the target's records.
 */
function ownerNames(answers: readonly DnsAnswer[], name: string): Set<string> {
  const names = new Set([stripDot(name).toLowerCase()]);
  let current = stripDot(name).toLowerCase();
  for (let hop = 0; hop < 8; hop++) {
    const alias = answers.find((a) => a.type === 'CNAME' && sameName(a.name, current));
    if (!alias || alias.type !== 'CNAME') break;
    current = alias.data.toLowerCase();
    if (names.has(current)) break;
    names.add(current);
  }
  return names;
}

/**
 * The TXT records at `name` (each with its chunks joined) from a TXT response, following a CNAME chain in the answer,
 * and how long the answer may be cached: the lowest TTL of the records it was read from, or for an empty answer the
 * negative TTL (RFC 2308 §5); 0 when neither is known ("do not cache").
 */
export function txtAnswer(response: DnsResponse, name: string): { values: string[]; ttlSeconds: number } {
  const owners = ownerNames(response.answers, name);
  const used = response.answers.filter((a) => (a.type === 'TXT' || a.type === 'CNAME') && owners.has(a.name.toLowerCase()));
  const values = used.flatMap((a) => (a.type === 'TXT' ? [a.data.join('')] : []));
  const ttlSeconds = values.length > 0 ? Math.min(...used.map((a) => a.ttl)) : (response.negativeTtl ?? 0);
  return { values, ttlSeconds };
}

export function createResolver(options: ResolverOptions = {}): Resolver {
  const timeoutMs = options.timeoutMs ?? 2000;
  const attempts = Math.max(1, options.attempts ?? 2);
  const configured = options.servers && options.servers.length > 0 ? options.servers : getServers();
  const servers = configured.map(parseServer);
  if (servers.length === 0) throw new TypeError('no DNS servers configured and none found on the system');

  async function askOnce(server: ServerAddress, name: string, type: QueryType): Promise<DnsResponse> {
    const id = randomInt(0, 65536);
    const query = packet.encode({
      type: 'query',
      id,
      flags: options.recursionDesired === false ? 0 : packet.RECURSION_DESIRED,
      questions: [{ type, name, class: 'IN' }],
    });
    const accept = (reply: DecodedPacket): boolean => isReplyTo(reply, id, name, type);
    const deadline = Date.now() + timeoutMs;
    let reply = await udpExchange(server, query, accept, deadline);
    let transport: 'udp' | 'tcp' = 'udp';
    if (reply.flag_tc) {
      // RFC 7766 §5: a truncated UDP answer is retried over TCP; the partial UDP answer is never used.
      reply = await tcpExchange(server, query, accept, deadline);
      transport = 'tcp';
    }
    const rcode = (reply as DecodedPacket & { rcode?: string }).rcode ?? 'NOERROR';
    if (rcode === 'SERVFAIL') throw new TryFailure('servfail', 'SERVFAIL');
    if (rcode !== 'NOERROR' && rcode !== 'NXDOMAIN') throw new TryFailure(rcode === 'REFUSED' ? 'refused' : 'bad_response', rcode);
    const answers = (reply.answers ?? []).map(decodeAnswer).filter((a): a is DnsAnswer => a !== null);
    const authority = (reply.authorities ?? []).map(decodeAnswer).filter((a): a is DnsAnswer => a !== null);
    const soa = authority.find((a): a is Extract<DnsAnswer, { type: 'SOA' }> => a.type === 'SOA');
    const hasAsked = answers.some((a) => a.type === type);
    return {
      rcode,
      answers,
      authority,
      server: server.label,
      transport,
      ...(!hasAsked && soa ? { negativeTtl: Math.min(soa.ttl, soa.data.minimum) } : {}),
    };
  }

  async function query(rawName: string, type: QueryType): Promise<DnsResponse> {
    const name = stripDot(rawName);
    const failures: string[] = [];
    let worst: DnsFailureReason = 'timeout';
    for (let round = 0; round < attempts; round++) {
      for (const server of servers) {
        try {
          return await askOnce(server, name, type);
        } catch (error) {
          if (!(error instanceof TryFailure)) throw error;
          failures.push(`${server.label} ${error.message}`);
          // SERVFAIL says more about the name than a timeout does, so once seen it is what the caller gets.
          if (worst !== 'servfail') worst = error.reason;
        }
      }
    }
    throw new DnsLookupError(worst, { name, type }, failures);
  }

  return {
    query,
    async resolveTxt(name) {
      return txtAnswer(await query(name, 'TXT'), name).values;
    },
    async resolveNs(name) {
      const response = await query(name, 'NS');
      return response.answers.flatMap((a) => (a.type === 'NS' && sameName(a.name, name) ? [a.data.toLowerCase()] : []));
    },
  };
}
