/**
 * Resolves the caller's API key or session to a principal. Failed attempts from one address are counted and, past
 * `AUTH_FAILURE_LIMIT` a minute, refused with 429 before any key lookup (so guessing keys is throttled).
 */
import { AppError } from '../../errors.js';
import { accountOf } from '../../auth/account.js';
import { defineMiddleware } from '../procedure.js';

export const authenticate = defineMiddleware(['AUTH_THROTTLED', 'AUTHENTICATION_FAILED'], async (ctx) => {
  const { auth, authFailures } = ctx.services;
  const { apiKey, sessionId, ip } = ctx.caller;
  const blockedFor = await authFailures.retryAfter(ip);
  if (blockedFor > 0) {
    ctx.services.metrics.rateLimited('auth_failures');
    throw AppError.of('AUTH_THROTTLED', undefined, { extra: { RetryAfter: blockedFor } });
  }
  const principal = apiKey ? await auth.authenticateApiKey(apiKey) : sessionId ? await auth.authenticateSession(sessionId) : null;
  if (!principal) {
    // A request with no credentials at all is a client mistake, not a guess: only presented credentials count.
    if (apiKey || sessionId) await authFailures.recordFailure(ip);
    throw AppError.of('AUTHENTICATION_FAILED');
  }
  ctx.principal = principal;
  ctx.account = accountOf(principal);
});
