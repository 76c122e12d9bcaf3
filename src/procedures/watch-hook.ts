/**
 * The hook through which a command starts a watch of a domain (issue 12: watches are built on another branch and
 * wired into `Services.watches` when merged). dns.connect calls it after handing out a Domain Connect URL, so that
 * the records the DNS provider writes once the customer consents are noticed and reported; until watches exist,
 * `services.watches` is absent and nothing is started.
 *
 * Contract: `start` resolves once the watch is registered (or was already running for this domain and record set);
 * it must not throw for an ordinary refusal (a limit reached): it reports that through its own channel. A rejection is
 * logged by the caller and never fails the command that asked.
 */
import type { RecordSetType } from '../records/template.js';

export interface WatchRequest {
  /** Normalised domain (src/domain.ts). */
  readonly domain: string;
  readonly recordType: RecordSetType;
  /** Who asked, as the journal names it (`key:<id>` / `user:<id>`); never a credential. */
  readonly principal: string;
  /** What started it. */
  readonly reason: 'domain-connect';
}

export interface WatchStarter {
  start(request: WatchRequest): Promise<void>;
}
