/**
 * Removes the caller's credentials from text that came from a provider (an error message, a field name echoed back)
 * before it can reach a reply, a log line or the journal. Providers echo what they were sent: Namecheap names the
 * ApiUser in `Invalid ApiUser acmeuser`, others quote a key they could not find. Every adapter passes every text it
 * repeats through this one function, with every credential field, not only the ones it thinks are secret.
 */
import type { ProviderCredentials } from './types.js';

/** Shorter values are not scrubbed: they would mangle ordinary words, and no provider accepts so short a credential. */
const MIN_SCRUBBED_LENGTH = 3;

export const REDACTED = '[redacted]';

/** The values to scrub for one caller: all four credential fields, plus `extra` secrets the adapter derived. */
export function credentialValues(credentials: ProviderCredentials, extra: readonly (string | undefined)[] = []): string[] {
  const values = [credentials.apiKey, credentials.apiSecret, credentials.apiUser, credentials.username, ...extra];
  const out = new Set<string>();
  for (const value of values) {
    const trimmed = value?.trim();
    if (!trimmed || trimmed.length < MIN_SCRUBBED_LENGTH) continue;
    out.add(trimmed);
    // The forms a provider may echo it in: URL-encoded (a query string) and JSON-escaped (a JSON error body).
    out.add(encodeURIComponent(trimmed));
    out.add(JSON.stringify(trimmed).slice(1, -1));
  }
  // Longest first, so that a value containing another is removed whole.
  return [...out].sort((a, b) => b.length - a.length);
}

/** `text` with every occurrence of every value replaced by `[redacted]` (case-sensitive, as credentials are). */
export function redact(text: string, values: readonly string[]): string {
  let out = text;
  for (const value of values) if (value && out.includes(value)) out = out.split(value).join(REDACTED);
  return out;
}

/** Shorthand: `redact(text, credentialValues(credentials, extra))`. */
export function redactCredentials(text: string, credentials: ProviderCredentials, extra: readonly (string | undefined)[] = []): string {
  return redact(text, credentialValues(credentials, extra));
}
