/**
 * The record model: a DNS record in provider-neutral form, a record to write, and one planned write. The planner
 * (src/records/planner.ts), the journal and every provider adapter (providers/types.ts re-exports it) speak it, so
 * it belongs to the pure layer that plans, not to the adapters that carry it out.
 */

/**
 * A DNS record in provider-neutral form.
 * - `name`: the full domain name, lower case, no trailing dot (`_dmarc.example.com`; the apex is `example.com`).
 * - `type`: upper case (`TXT`, `CNAME`, …).
 * - `content`: TXT = the value with quotes removed and 255-byte chunks joined; CNAME/MX/NS = target host without a
 *   trailing dot; others as the provider shows them.
 * - `priority`: MX preference (and SRV priority), absent for other types.
 */
export interface DnsRecord {
  readonly type: string;
  readonly name: string;
  readonly content: string;
  readonly ttl: number;
  readonly priority?: number | undefined;
  /** The provider's record id where it has one (Cloudflare). */
  readonly id?: string | undefined;
  /**
   * The record exactly as the provider returned it, so that an adapter can write an untouched record back
   * byte-for-byte (Namecheap) or keep fields the neutral form drops (Cloudflare `proxied`, comments, tags).
   */
  readonly raw?: unknown;
  /**
   * What else makes this record what it is at its provider, beyond the neutral fields, as the provider names it:
   * set by adapters whose records carry such fields (Cloudflare: `proxied`, `comment`, `tags`, `settings`), only
   * where they differ from the provider's default. Kept in the change journal, so that a revert re-creates a deleted
   * record with them, not a bare copy.
   */
  readonly providerFields?: ProviderFields | undefined;
}

/** Provider-specific fields of a record (JSON values), see `DnsRecord.providerFields`. */
export type ProviderFields = Readonly<Record<string, unknown>>;

/** A record to write: what the planner produces, or what a revert restores. */
export interface DesiredRecord {
  readonly type: string;
  readonly name: string;
  readonly content: string;
  readonly ttl: number;
  readonly priority?: number | undefined;
  /**
   * Only on a record a revert restores: the `providerFields` it had. The adapter writes them back, all of them when
   * it re-creates the record, those the forward write may have changed when it updates it. A separate name from
   * `DnsRecord.providerFields`, so that a desired record made by spreading a read one does not carry them by accident.
   */
  readonly restoreFields?: ProviderFields | undefined;
}

/** One write. UPDATE and DELETE always name the existing record they replace or remove. */
export type RecordChange =
  | { readonly action: 'CREATE'; readonly record: DesiredRecord }
  | { readonly action: 'UPDATE'; readonly before: DnsRecord; readonly record: DesiredRecord }
  | { readonly action: 'DELETE'; readonly before: DnsRecord };

