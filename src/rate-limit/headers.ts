import type { RateLimitState } from '../procedures/procedure.js';

/** The `RateLimit-*` headers (IETF draft-ietf-httpapi-ratelimit-headers) every authenticated reply carries. */
export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    'RateLimit-Limit': String(state.limit),
    'RateLimit-Remaining': String(state.remaining),
    'RateLimit-Reset': String(state.resetSeconds),
  };
}
