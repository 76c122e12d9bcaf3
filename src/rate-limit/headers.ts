import type { RateLimitState } from '../procedures/procedure.js';

/** The `RateLimit-*` headers (IETF draft-ietf-httpapi-ratelimit-headers) every authenticated reply carries. */
export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  const head: string[] = [];
  pushRateLimitHeaders(head, state);
  const headers: Record<string, string> = {};
  for (let i = 0; i < head.length; i += 2) headers[head[i]!] = head[i + 1]!;
  return headers;
}

/**
 * The same headers appended to a flat `[name, value, …]` list, the form the replies pass to `writeHead`: no object
 * per reply to build and then walk again.
 */
export function pushRateLimitHeaders(head: string[], state: RateLimitState): void {
  head.push('RateLimit-Limit', String(state.limit), 'RateLimit-Remaining', String(state.remaining), 'RateLimit-Reset', String(state.resetSeconds));
}
