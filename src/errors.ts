/**
 * The one error catalogue. Every failure a caller can see is an entry here: its Octeth code, its message, and how
 * each transport shows it. REST reads `httpStatus`, GraphQL reads `graphql`; nothing else decides either.
 *
 * Codes overlap between commands (code 2 is "Unable to determine DNS provider" for dns.provider and "Missing API key"
 * for dns.authorize), exactly as the platform documents them, so entries are keyed by meaning, not by number.
 */

/** How GraphQL shows an error: a `DnsError` union member, or a GraphQL error with this `extensions.code`. */
export type GraphqlErrorKind = 'DNS_ERROR' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'RATE_LIMITED' | 'BAD_REQUEST' | 'INTERNAL';

interface CatalogueEntry {
  readonly code: number;
  readonly message: string;
  /** HTTP status on `/api/v1` (and on `/api.php` for the "hard" failures: see `legacyHard`). */
  readonly httpStatus: number;
  readonly graphql: GraphqlErrorKind;
  /**
   * True for failures that `/api.php` answers with their own HTTP status (malformed request, unknown command, rate
   * limit). Handler errors (false) are answered with HTTP 200 on `/api.php`, as the platform always did.
   */
  readonly legacyHard?: boolean;
}

const entry = (
  code: number,
  message: string,
  httpStatus: number,
  graphql: GraphqlErrorKind = 'DNS_ERROR',
  legacyHard = false,
): CatalogueEntry => ({ code, message, httpStatus, graphql, legacyHard });

export const ERROR_CATALOGUE = {
  // Input errors shared by the DNS commands (1–8).
  DOMAIN_MISSING: entry(1, 'Missing domain parameter', 400),
  DOMAIN_INVALID: entry(1, 'Invalid domain parameter', 400),
  PROVIDER_UNDETERMINED: entry(2, 'Unable to determine DNS provider for this domain', 400),
  /** The lookup itself failed (resolver timeout, SERVFAIL): the same code, but not the caller's fault. */
  DETECTION_FAILED: entry(2, 'Unable to determine DNS provider for this domain: the DNS lookup failed', 503),
  API_KEY_MISSING: entry(2, 'Missing API key', 400),
  API_KEY_INVALID: entry(2, 'Invalid API key parameter', 400),
  PROVIDER_MISSING: entry(3, 'Missing provider', 400),
  RECORD_TYPE_MISSING: entry(4, 'Missing record type', 400),
  RECORD_TYPE_UNKNOWN: entry(4, 'Missing record type: expected campaign or email-gateway', 400),
  API_SECRET_MISSING: entry(5, 'Missing API secret', 400),
  API_SECRET_INVALID: entry(5, 'Invalid API secret parameter', 400),
  API_USER_MISSING: entry(6, 'Missing API user', 400),
  API_USER_INVALID: entry(6, 'Invalid API user parameter', 400),
  USERNAME_MISSING: entry(7, 'Missing username', 400),
  USERNAME_INVALID: entry(7, 'Invalid username parameter', 400),
  PROVIDER_UNSUPPORTED: entry(8, 'Unsupported provider', 400),
  /**
   * A parameter the contract gives no code of its own (a flag such as `DryRun`) with a value of the wrong shape.
   * Named-parameter problems use their own code (1–8) instead.
   */
  PARAMETER_INVALID: entry(400, 'Invalid parameter', 400),

  // Provider outcomes (9–10). The caller adds the provider's own reason as `detail`.
  AUTHORIZATION_FAILED: entry(9, 'Authorization failed for this DNS provider', 422),
  AUTHORIZATION_ERROR: entry(10, 'An error occurred during authorization', 502),
  SET_FAILED: entry(9, 'Failed to set DNS records', 422),
  SET_ERROR: entry(10, 'An error occurred while setting DNS records', 502),
  /** Our own fault while talking to a provider (a bug, not the provider): code 10 with HTTP 500. */
  INTERNAL_ERROR: entry(10, 'Internal error', 500, 'INTERNAL'),
  /**
   * The zone lock was lost (another instance may hold it now) after the zone was read and before the first provider
   * write, which was then not sent: code 10, HTTP 503. Running the command again reads the zone afresh.
   */
  LOCK_LOST: entry(10, 'The zone lock was lost before writing, so nothing was written', 503),
  /** The write-ahead journal entry could not be stored, so nothing was sent to the provider: code 10, HTTP 500. */
  JOURNAL_FAILED: entry(10, 'The change could not be journaled, so nothing was written', 500),

  // Verification (dns.verify).
  VERIFY_NO_NAMESERVERS: entry(2, 'Unable to find the authoritative name servers of this domain', 400),
  /** The NS lookup itself failed (resolver timeout, SERVFAIL): the same code, but not the caller's fault. */
  VERIFY_LOOKUP_FAILED: entry(2, 'Unable to find the authoritative name servers of this domain: the DNS lookup failed', 503),
  VERIFY_FAILED: entry(10, 'No authoritative name server of this domain answered', 502),

  // Journal (dns.changes / dns.revert).
  CHANGE_ID_MISSING: entry(11, 'Missing change ID', 400),
  CHANGE_ID_INVALID: entry(11, 'Invalid change ID parameter', 400),
  CHANGE_NOT_FOUND: entry(12, 'Change not found', 404),
  REVERT_REFUSED: entry(9, 'Revert refused', 409),

  // Watches (dns.watch / dns.watches / the dnsStatusChanged subscription).
  WATCH_NOT_FOUND: entry(13, 'No watch of this record set on this domain: start one with dns.watch (GraphQL watchDnsRecords) or an applied dns.set', 404),
  // Domain Connect (dns.connect; dns.set with Provider=domainconnect). Code 11 here is not dns.revert's code 11 (a
  // missing change ID): codes are per command, as the header says. The reason is added as `detail`.
  /** No `_domainconnect` record, settings that say no, the template not onboarded, the other flow only, or off here. */
  DOMAIN_CONNECT_UNAVAILABLE: entry(11, 'Domain Connect is not available for this domain', 422),
  /** The DNS provider's settings or API could not be reached (timeout, 5xx, a malformed answer): same code, HTTP 502. */
  DOMAIN_CONNECT_UNREACHABLE: entry(11, 'Domain Connect is not available for this domain', 502),
  /** `RedirectURI` that is not an http(s) URL on a host of the templates' syncRedirectDomain. */
  REDIRECT_URI_INVALID: entry(1, 'Invalid redirect URI', 400),

  // user.login (Octeth's own numbering).
  LOGIN_USERNAME_MISSING: entry(1, 'Missing username', 400),
  LOGIN_PASSWORD_MISSING: entry(2, 'Missing password', 400),
  LOGIN_INVALID: entry(3, 'Invalid username or password', 401),

  // Caller identity and limits.
  AUTHENTICATION_FAILED: entry(99998, 'Authentication failure or session expired', 401, 'UNAUTHENTICATED'),
  PERMISSION_DENIED: entry(99999, 'Not enough privileges', 403, 'FORBIDDEN'),
  RATE_LIMITED: entry(429, 'Rate limit exceeded', 429, 'RATE_LIMITED', true),
  AUTH_THROTTLED: entry(429, 'Too many failed authentication attempts', 429, 'RATE_LIMITED', true),

  // Malformed requests (answered with their own status on both REST paths).
  INVALID_JSON: entry(100000, 'The request body was not valid JSON', 400, 'BAD_REQUEST', true),
  BODY_TOO_LARGE: entry(100001, 'The request body is too large', 413, 'BAD_REQUEST', true),
  UNSUPPORTED_CONTENT_TYPE: entry(100002, 'Unsupported content type', 415, 'BAD_REQUEST', true),
  INVALID_COMMAND: entry(100003, 'Invalid API command', 400, 'BAD_REQUEST', true),
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorKey = keyof typeof ERROR_CATALOGUE;

/** One reported error: a catalogue entry plus an optional reason appended to its message. */
export interface ErrorItem {
  readonly key: ErrorKey;
  readonly code: number;
  readonly message: string;
}

export function errorItem(key: ErrorKey, detail?: string): ErrorItem {
  const { code, message } = ERROR_CATALOGUE[key];
  return { key, code, message: detail ? `${message}: ${detail}` : message };
}

/**
 * The only error type that crosses from procedures to transports. It carries every applicable error (a request
 * missing its domain and its provider gets both, codes 1 and 3), sorted by code as the contract requires.
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly items: readonly ErrorItem[];
  /** Extra fields a transport may add to the body (e.g. `RetryAfter` for the rate limit). */
  readonly extra: Readonly<Record<string, unknown>>;

  constructor(items: ErrorItem | readonly ErrorItem[], options: { cause?: unknown; extra?: Record<string, unknown> } = {}) {
    const list = (Array.isArray(items) ? [...items] : [items as ErrorItem]).sort((a, b) => a.code - b.code);
    if (list.length === 0) throw new TypeError('AppError needs at least one error item');
    super(list.map((i) => i.message).join('; '), { cause: options.cause });
    this.items = list;
    this.extra = options.extra ?? {};
  }

  static of(key: ErrorKey, detail?: string, options?: { cause?: unknown; extra?: Record<string, unknown> }): AppError {
    return new AppError(errorItem(key, detail), options);
  }

  /** The entry that decides the status: the lowest code, as the contract asks. */
  get primary(): ErrorItem {
    return this.items[0]!;
  }

  get httpStatus(): number {
    return ERROR_CATALOGUE[this.primary.key].httpStatus;
  }

  get graphqlKind(): GraphqlErrorKind {
    return ERROR_CATALOGUE[this.primary.key].graphql;
  }

  get legacyHard(): boolean {
    return ERROR_CATALOGUE[this.primary.key].legacyHard ?? false;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
