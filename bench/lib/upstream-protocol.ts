/**
 * What the bench parent and the upstream child (bench/upstream.ts) say to each other, and the test credentials the
 * fakes accept. The credentials are bench-only values for loopback fakes, never real provider keys.
 */
import { GODADDY_FAKE_ACCOUNTS } from '../../test/fakes/godaddy-fake.js';
import { SEED_APEX } from '../../test/fakes/seed-zone.js';

export const BENCH_CREDENTIALS = {
  cloudflareToken: 'cfBENCHtoken0123456789abcdefghijklmnopqr',
  godaddyKey: GODADDY_FAKE_ACCOUNTS.good.key,
  godaddySecret: GODADDY_FAKE_ACCOUNTS.good.secret,
  namecheapKey: 'ncBENCHkey0123456789abcdef',
  namecheapUser: 'benchuser',
  /** The address the Namecheap fake has whitelisted; the gateway sends it as ClientIp. */
  namecheapClientIp: '198.51.100.1',
} as const;

export const DOMAINS = {
  /** The seeded zone every provider fake holds; delegated to Cloudflare in the bench DNS. */
  cloudflare: SEED_APEX,
  detectGodaddy: 'godaddy-customer.com',
  detectNamecheap: 'namecheap-customer.com',
  /** Never written: the sandbox dry-run scenario plans against an empty zone. */
  sandbox: 'bench-sandbox.com',
  /** The campaign record set live on four authoritative servers on 127.0.0.2–5 (the dns.verify scenario). */
  verified: 'bench-verified.com',
} as const;

/** The platform settings the bench gateway runs with; the verified zone is built from them. */
export const BENCH_MAIL = { masterDomain: 'mta.sender-platform.net', spfInclude: '_spf.sender-platform.net' } as const;

export type UpstreamRequest = { type: 'calls' } | { type: 'reset' } | { type: 'stop' };

export interface UpstreamReady {
  readonly type: 'ready';
  readonly dnsAddress: string;
  readonly cloudflareUrl: string;
  readonly godaddyUrl: string;
  readonly namecheapUrl: string;
  /** The port the authoritative servers on 127.0.0.2–5 answer on (the gateway's DNS_AUTHORITATIVE_PORT). */
  readonly authoritativePort: number;
}

/** Each fake's call log since the last reset: `METHOD path` (Namecheap: `METHOD command`), DNS: `TYPE name`. */
export interface UpstreamCalls {
  readonly type: 'calls';
  readonly dns: string[];
  readonly cloudflare: string[];
  readonly godaddy: string[];
  readonly namecheap: string[];
}
