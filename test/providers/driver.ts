/**
 * What the provider conformance suite (conformance.test.ts) needs of one provider: a driver that starts the
 * provider's loopback fake seeded with the shared customer zone (test/fakes/seed-zone.ts), reads the fake's whole
 * zone in wire form, plants records and faults in it, and counts its calls. The suite runs the same scenarios through
 * the real gateway (REST and GraphQL) for every driver in drivers/index.ts; a provider is supported when it passes.
 *
 * A new provider is: its adapter (providers/<id>.ts), its fake (test/fakes/<id>-fake.ts), a driver
 * (test/providers/drivers/<id>.ts) implementing this interface, and one line in drivers/index.ts.
 */
import type { DesiredRecord, ProviderId } from '../../providers/types.js';
import type { Gateway } from '../helpers/gateway.js';
import { SEED_APEX } from '../fakes/seed-zone.js';

export const APEX = SEED_APEX;

/** The four credential parameters, in GraphQL's (camelCase) names; REST sends them as ApiKey, ApiSecret, … */
export interface Credentials {
  readonly apiKey: string;
  readonly apiSecret?: string;
  readonly apiUser?: string;
  readonly username?: string;
}

/** A record as the suite compares it, whatever the provider's wire form: the adapters' neutral form. */
export interface Neutral {
  readonly type: string;
  /** Full name, lower case, no trailing dot. */
  readonly name: string;
  /** TXT: unquoted, chunks joined. CNAME/MX/NS: target without trailing dot. SRV: `weight port target`. */
  readonly content: string;
  readonly ttl: number;
  /** MX preference, SRV priority; absent otherwise. */
  readonly priority?: number | undefined;
}

export interface CallCount {
  /** Every upstream call, token grants excluded (undefined where there is no upstream API: the sandbox). */
  readonly total: number | undefined;
  /** Calls that are not reads (POST, PUT, PATCH, DELETE, a batch, setHosts). */
  readonly writes: number;
}

/** Credentials the provider refuses, and the exact reason the gateway must give for them. */
export interface RefusedCase {
  readonly label: string;
  readonly credentials: Credentials;
  /** The text after `Authorization failed for this DNS provider: `, e.g. `Cloudflare: invalid API token`. */
  readonly reason: string;
  /** Run against a second gateway with these environment variables added (Namecheap: an IP not whitelisted). */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * A fault the fake serves instead of its real answer, for the next matching call(s). `on: 'read'` is the call that
 * lists the zone's records (not the zone lookup); `on: 'write'` is the first write call of the plan. Each behaves as
 * the provider's own failure does (its error body, its rate-limit signal), as the fake's comments cite.
 */
export type ConformanceFault =
  /** HTTP 500 (or the provider's own 5xx body) before the call is handled: nothing changes. */
  | { readonly kind: 'server-error'; readonly on: 'read' | 'write'; readonly times?: number | 'always' }
  /** The provider's rate-limit answer (its status, body and retry signal), asking to wait `retryAfterSeconds`. */
  | { readonly kind: 'rate-limited'; readonly on: 'read' | 'write'; readonly retryAfterSeconds: number }
  /** No reply at all: the request is held open until the client gives up. */
  | { readonly kind: 'hang'; readonly on: 'read' | 'write'; readonly times?: number | 'always' }
  /** The connection is reset before the call is handled: nothing changes. */
  | { readonly kind: 'reset'; readonly on: 'read' | 'write' }
  /** HTTP 200 with a body that is not what the API sends (cut JSON/XML): on a read only. */
  | { readonly kind: 'malformed'; readonly on: 'read' }
  /** The write is applied in full, then the connection is cut before the reply: the reply is lost. */
  | { readonly kind: 'lost-reply'; readonly on: 'write' }
  /**
   * The next call (any) is refused with the provider's own authentication error, whose message repeats every
   * credential value the request carried (as providers do: `Invalid ApiUser acmeuser`).
   */
  | { readonly kind: 'echo-credentials' };

export interface ConformanceDriver {
  readonly id: ProviderId;
  /** The provider's name servers: a domain delegated to them is detected as this provider, supported. None: sandbox. */
  readonly nameservers: readonly string[];
  /** Credentials the fake accepts for the seed zone. */
  readonly credentials: Credentials;
  readonly refused: readonly RefusedCase[];
  /** False for the sandbox (no upstream to fail): the fault scenarios are skipped. */
  readonly faults: boolean;
  /**
   * The command deadline of the fault scenarios, for a provider whose own pace makes a clean dns.set take longer than
   * the suite's 5 s (Porkbun: one request a second). @default 5000
   */
  readonly faultDeadlineMs?: number;

  /**
   * Starts the fake on 127.0.0.1 (port 0) with the seed zone (`seedRecords()` at `APEX`, minus what the provider
   * cannot hold) and returns the gateway environment that points the adapter at it (e.g. `ROUTE53_API_URL`).
   */
  start(): Promise<Record<string, string>>;
  /** Called once the gateway runs (the sandbox keeps its zone in the gateway's store). */
  attach?(gateway: Gateway): void;
  stop(): Promise<void>;

  /** Puts the seed zone back exactly as `start` made it, and drops queued faults and hooks. Calls keep counting. */
  reset(): Promise<void>;
  /** The whole zone in the provider's wire form, deep-copied, in the provider's order. */
  snapshot(): Promise<unknown[]>;
  neutral(wire: unknown): Neutral;
  /**
   * The wire form minus what a correct write may still change in a record it did not mean to touch (Namecheap:
   * HostId, renumbered by setHosts), and, for `revert`, what a re-created record cannot keep (a new record id).
   */
  comparable(wire: unknown, purpose?: 'apply' | 'revert'): unknown;
  /** Plants a record straight into the fake's state, as if the customer had made it in the provider's panel. */
  add(record: DesiredRecord): Promise<void>;
  /**
   * The TXT value `strings.join('')` as a customer may have entered it in the provider's panel, in the form the
   * provider stores it (the record's value field: Cloudflare's `content`, Azure's `value` array, …), spelled otherwise
   * than the gateway writes it wherever the provider keeps a spelling as entered: `plain` the customer's own plain
   * spelling (unquoted at Cloudflare, quoted at GoDaddy and Porkbun, …), or the value split into `strings` where the
   * provider keeps nothing plainer; `split` the value split into `strings` as character-strings. A provider that
   * stores one canonical form for every spelling (its adapter says why) has no other form to give: `canonicalTxt`.
   */
  txtAsEntered(strings: readonly string[], style: 'plain' | 'split'): unknown;
  /**
   * Puts the TXT value `content` at `name` into the fake's zone with its value exactly `wire` (a `txtAsEntered`
   * result): in place of the TXT value that holds `content` now, else as a new record (TTL 3600).
   */
  seedRawTxt(name: string, content: string, wire: unknown): Promise<void>;
  /** Upstream calls so far (cumulative; the suite looks at differences). */
  calls(): CallCount;
  /** Queues a fault (ignored by drivers with `faults: false`). */
  fault(fault: ConformanceFault): void;
  /** Drops queued and lasting faults and a pending `beforeNextWrite`, leaving the zone as it is. */
  clearFaults(): void;
  /**
   * Runs `action` (e.g. `add` of a record) inside the fake just before it handles the next write call: a second
   * writer editing the zone between the gateway's read and its write.
   */
  beforeNextWrite(action: () => void | Promise<void>): void;
  /**
   * Provider-specific checks on a record the plan created or updated (Cloudflare: a CNAME is not proxied): what is
   * wrong with it, or undefined. (Drivers import nothing from vitest: the bench runs them outside it.)
   */
  checkWritten?(wire: unknown): string | undefined;
}

/** Full name → the relative label (`@` for the apex). */
export const relative = (name: string): string => (name === APEX ? '@' : name.slice(0, -(APEX.length + 1)));
/** Relative label (`@` or empty for the apex) → full name. */
export const absolute = (label: string): string => (label === '@' || label === '' ? APEX : `${label.toLowerCase()}.${APEX}`);
/** Quoted RFC 1035 strings (`"a" "b"`) → `ab`; an unquoted value stays as it is. */
export const unquote = (content: string): string =>
  /^\s*"/.test(content) ? [...content.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => (m[1] ?? '').replace(/\\(.)/g, '$1')).join('') : content;
export const withPriority = (base: Omit<Neutral, 'priority'>, priority: number | undefined): Neutral =>
  priority === undefined ? base : { ...base, priority };
/** Character-strings → RFC 1035 quoted strings (`"a" "b"`), `"` and `\` escaped. */
export const quoteStrings = (strings: readonly string[]): string => strings.map((s) => `"${s.replace(/[\\"]/g, '\\$&')}"`).join(' ');

/**
 * `txtAsEntered` and `seedRawTxt` for a provider that stores one canonical form of a TXT value however it was spelled
 * (its adapter says why): the customer's spelling is the value itself, and the fake stores it as the panel would, in
 * that one form (`add`).
 */
export const canonicalTxt = {
  txtAsEntered: (strings: readonly string[]): string => strings.join(''),
  async seedRawTxt(this: ConformanceDriver, name: string, content: string): Promise<void> {
    const held = (await this.snapshot()).map((w) => this.neutral(w)).some((n) => n.type === 'TXT' && n.name === name && n.content === content);
    if (!held) await this.add({ type: 'TXT', name, content, ttl: 3600 });
  },
} satisfies Pick<ConformanceDriver, 'txtAsEntered' | 'seedRawTxt'>;
