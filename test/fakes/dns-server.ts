/**
 * A real DNS server on 127.0.0.1 (UDP and TCP on one port) that answers from an in-memory record list the way an
 * authoritative server does, so resolver and detection tests exercise real packets, real truncation and real
 * timeouts instead of a stubbed function.
 *
 * Behaviour and its sources:
 * - NOERROR + answers; NOERROR, no answers, SOA in authority when the name exists with other types only (NODATA);
 *   NXDOMAIN + SOA when nothing exists at or below the name (RFC 2308 §2.1–2.2; empty non-terminals exist: RFC 8020).
 * - An in-data CNAME is answered for any other type and followed inside the data (RFC 1034 §4.3.2 step 3a).
 * - Over UDP an answer longer than 512 bytes is replaced by a header with TC set and the question only, so the client
 *   must retry over TCP (RFC 1035 §4.2.1, RFC 7766 §5). No EDNS is honoured: the 512-byte limit always applies.
 * - TCP messages carry a two-byte length prefix, several per connection (RFC 1035 §4.2.2, RFC 7766 §6.2.1).
 * - A TXT value given as one string is sent as ≤255-byte character-strings (RFC 1035 §3.3.14).
 * - SERVFAIL is RCODE 2, REFUSED (a server that will not answer for the zone, e.g. a lame delegation) RCODE 5
 *   (RFC 1035 §4.1.1).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import * as packet from 'dns-packet';
import type { Answer, DecodedPacket } from 'dns-packet';

export type FakeRecordType = 'NS' | 'TXT' | 'A' | 'AAAA' | 'MX' | 'CNAME' | 'SOA';

export interface FakeSoa {
  mname: string;
  rname: string;
  serial?: number;
  refresh?: number;
  retry?: number;
  expire?: number;
  /** Negative-caching TTL (RFC 2308 §4). */
  minimum: number;
}

/**
 * One record. `data` by type: NS/CNAME/A/AAAA a string; TXT a string (split into 255-byte chunks on the wire) or the
 * chunks themselves; MX `{ preference, exchange }`; SOA `FakeSoa`.
 */
export type FakeRecord =
  | { name: string; type: 'NS' | 'CNAME' | 'A' | 'AAAA'; ttl: number; data: string }
  | { name: string; type: 'TXT'; ttl: number; data: string | string[] }
  | { name: string; type: 'MX'; ttl: number; data: { preference: number; exchange: string } }
  | { name: string; type: 'SOA'; ttl: number; data: FakeSoa };

/** The brief's name for a record; the server keeps records, not grouped rrsets. */
export type FakeRrset = FakeRecord;

export interface QueryLogEntry {
  name: string;
  type: string;
  transport: 'udp' | 'tcp';
  /** The query's RD bit: whether the client asked for recursion (RFC 1035 §4.1.1). */
  recursionDesired: boolean;
}

export interface FakeDnsServer {
  readonly port: number;
  /** `127.0.0.1:PORT`, the form `createResolver({ servers })` takes. */
  readonly address: string;
  /** Every question received, in order (lower-cased name). */
  readonly queries: QueryLogEntry[];
  /** Answers are sent this many milliseconds late (for timeout tests). */
  delayMs: number;
  /** Every UDP answer is sent truncated (TC set, question only), so the client must ask again over TCP. */
  truncateUdp: boolean;
  /** Every question is answered SERVFAIL (a broken authoritative server). */
  servfailAll: boolean;
  /** Every question is answered REFUSED (a name server that no longer serves the zone). */
  refusedAll: boolean;
  /** Replaces all records. */
  set(records: readonly FakeRecord[]): void;
  add(...records: FakeRecord[]): void;
  /** Removes all records, SERVFAIL names and the query log. */
  clear(): void;
  /** Answer SERVFAIL for questions about exactly this name until `clear()`. */
  failWithServfail(name: string): void;
  close(): Promise<void>;
}

/**
 * The SOA used in authority sections when no SOA record is at or above the name, as the root zone's would be.
 * @default minimum 3600 s, TTL 3600 s
 */
const FALLBACK_SOA: FakeRecord = {
  name: '',
  type: 'SOA',
  ttl: 3600,
  data: { mname: 'a.root-servers.net', rname: 'nstld.verisign-grs.com', serial: 1, minimum: 3600 },
};

const norm = (name: string): string => name.toLowerCase().replace(/\.$/, '');
const isAtOrBelow = (name: string, ancestor: string): boolean => ancestor === '' || name === ancestor || name.endsWith(`.${ancestor}`);

/** RFC 1035 §3.3.14: a character-string holds at most 255 bytes. */
function txtChunks(data: string | string[]): Buffer[] {
  if (Array.isArray(data)) return data.map((c) => Buffer.from(c));
  const bytes = Buffer.from(data);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 255) chunks.push(bytes.subarray(i, i + 255));
  return chunks.length > 0 ? chunks : [Buffer.alloc(0)];
}

function toWire(record: FakeRecord, ownerName?: string): Answer {
  const name = ownerName ?? record.name;
  switch (record.type) {
    case 'TXT':
      return { name, type: 'TXT', ttl: record.ttl, data: txtChunks(record.data) };
    case 'MX':
      return { name, type: 'MX', ttl: record.ttl, data: { ...record.data } };
    case 'SOA':
      return { name: name === '' ? '.' : name, type: 'SOA', ttl: record.ttl, data: { ...record.data } };
    default:
      return { name, type: record.type, ttl: record.ttl, data: record.data };
  }
}

export interface DnsServerOptions {
  readonly records?: readonly FakeRecord[];
  /** Loopback address to listen on: several servers on 127.0.0.2, 127.0.0.3, … can share one port. @default '127.0.0.1' */
  readonly host?: string;
  /** UDP and TCP port; 0 picks a free one. @default 0 */
  readonly port?: number;
}

export async function startDnsServer(options: DnsServerOptions = {}): Promise<FakeDnsServer> {
  const host = options.host ?? '127.0.0.1';
  let records: FakeRecord[] = [...(options.records ?? [])];
  const servfail = new Set<string>();
  const queries: QueryLogEntry[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const connections = new Set<net.Socket>();
  let closed = false;
  let delayMs = 0;
  let truncateUdp = false;
  let servfailAll = false;
  let refusedAll = false;

  const closestSoa = (name: string): FakeRecord =>
    records
      .filter((r) => r.type === 'SOA' && isAtOrBelow(name, norm(r.name)))
      .sort((a, b) => norm(b.name).length - norm(a.name).length)[0] ?? FALLBACK_SOA;

  function answer(query: DecodedPacket): packet.Packet {
    const question = query.questions?.[0];
    const base = { type: 'response' as const, id: query.id ?? 0, questions: query.questions ?? [] };
    if (!question) return { ...base, flags: 1 /* FORMERR */ };
    const qname = norm(question.name);
    if (servfailAll || servfail.has(qname)) return { ...base, flags: 2 /* SERVFAIL */ };
    if (refusedAll) return { ...base, flags: 5 /* REFUSED */ };

    const answers: Answer[] = [];
    let current = qname;
    // Follow in-data CNAMEs a few hops, as an authoritative server does within its own zone.
    for (let hop = 0; hop < 8; hop++) {
      const atName = records.filter((r) => norm(r.name) === current);
      const matching = atName.filter((r) => r.type === question.type);
      if (matching.length > 0) {
        answers.push(...matching.map((r) => toWire(r, current)));
        break;
      }
      const alias = atName.find((r) => r.type === 'CNAME');
      if (!alias || alias.type !== 'CNAME') break;
      answers.push(toWire(alias, current));
      current = norm(alias.data);
    }
    const flags = packet.AUTHORITATIVE_ANSWER;
    if (answers.some((a) => a.type === question.type) || (answers.length > 0 && question.type === 'CNAME')) {
      return { ...base, flags, answers };
    }
    const exists = records.some((r) => isAtOrBelow(norm(r.name), current));
    const soa = toWire(closestSoa(current));
    return { ...base, flags: flags | (exists ? 0 : 3) /* NXDOMAIN */, answers, authorities: [soa] };
  }

  function reply(raw: Buffer, transport: 'udp' | 'tcp', send: (response: Buffer) => void): void {
    let query: DecodedPacket;
    try {
      query = packet.decode(raw);
    } catch {
      return; // Garbage gets no answer, as from a real server.
    }
    const question = query.questions?.[0];
    if (question) queries.push({ name: norm(question.name), type: question.type, transport, recursionDesired: ((query.flags ?? 0) & packet.RECURSION_DESIRED) !== 0 });
    let response = packet.encode(answer(query));
    if (transport === 'udp' && (response.length > 512 || truncateUdp)) {
      response = packet.encode({
        type: 'response',
        id: query.id ?? 0,
        flags: packet.AUTHORITATIVE_ANSWER | packet.TRUNCATED_RESPONSE,
        questions: query.questions ?? [],
      });
    }
    const deliver = (): void => {
      if (!closed) send(response);
    };
    if (delayMs > 0) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        deliver();
      }, delayMs);
      timers.add(timer);
    } else deliver();
  }

  const tcp = net.createServer((socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) return;
        const message = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        reply(message, 'tcp', (response) => {
          const prefix = Buffer.alloc(2);
          prefix.writeUInt16BE(response.length);
          if (!socket.destroyed) socket.write(Buffer.concat([prefix, response]));
        });
      }
    });
  });

  const udp = await bindBoth(tcp, host, options.port ?? 0, (socket, msg, rinfo) =>
    reply(msg, 'udp', (response) => socket.send(response, rinfo.port, rinfo.address)),
  );
  const port = udp.address().port;

  const server: FakeDnsServer = {
    port,
    address: `${host}:${port}`,
    queries,
    get delayMs() {
      return delayMs;
    },
    set delayMs(value: number) {
      delayMs = value;
    },
    get truncateUdp() {
      return truncateUdp;
    },
    set truncateUdp(value: boolean) {
      truncateUdp = value;
    },
    get servfailAll() {
      return servfailAll;
    },
    set servfailAll(value: boolean) {
      servfailAll = value;
    },
    get refusedAll() {
      return refusedAll;
    },
    set refusedAll(value: boolean) {
      refusedAll = value;
    },
    set(next) {
      records = [...next];
    },
    add(...more) {
      records.push(...more);
    },
    clear() {
      records = [];
      servfail.clear();
      queries.length = 0;
    },
    failWithServfail(name) {
      servfail.add(norm(name));
    },
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of connections) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };
  return server;
}

/**
 * Binds UDP to a free port, then TCP to the same one. If TCP finds that port taken, a fresh UDP socket tries another
 * port (a closed dgram socket cannot be bound again).
 */
async function bindBoth(
  tcp: net.Server,
  host: string,
  wantedPort: number,
  onMessage: (socket: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo) => void,
): Promise<dgram.Socket> {
  // A fixed port is tried once: the caller asked for exactly that one.
  for (let attempt = 0; attempt < (wantedPort === 0 ? 10 : 1); attempt++) {
    const udp = dgram.createSocket('udp4');
    udp.on('message', (msg, rinfo) => onMessage(udp, msg, rinfo));
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(wantedPort, host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const port = udp.address().port;
    const bound = await new Promise<boolean>((resolve) => {
      const onError = (): void => resolve(false);
      tcp.once('error', onError);
      tcp.listen(port, host, () => {
        tcp.off('error', onError);
        resolve(true);
      });
    });
    if (bound) return udp;
    await new Promise<void>((resolve) => udp.close(() => resolve()));
  }
  throw new Error(`could not bind the fake DNS server to one ${wantedPort === 0 ? 'free ' : ''}UDP+TCP port on ${host}`);
}
