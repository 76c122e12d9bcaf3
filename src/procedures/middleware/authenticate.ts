/**
 * Resolves the caller's API key or session to a principal. Failed attempts from one address are counted and, past
 * `AUTH_FAILURE_LIMIT` a minute, refused with 429 before any key lookup (so guessing keys is throttled).
 *
 * Synchronous when the throttle and the key cache answer from memory (the common case); each step chains on the
 * previous one only when that one returned a promise (src/maybe-promise.ts).
 */
import { AppError } from '../../errors.js';
import { accountOf } from '../../auth/account.js';
import type { Principal } from '../../auth/types.js';
import { isPromise, type MaybePromise } from '../../maybe-promise.js';
import { defineMiddleware, type CallContext } from '../procedure.js';

export const authenticate = defineMiddleware(['AUTH_THROTTLED', 'AUTHENTICATION_FAILED'], (ctx) => {
  const blockedFor = ctx.services.authFailures.retryAfter(ctx.caller.ip);
  return isPromise(blockedFor) ? blockedFor.then((seconds) => identify(ctx, seconds)) : identify(ctx, blockedFor);
});

/** Once the throttle has answered: look the credentials up, unless the address is blocked. */
function identify(ctx: CallContext, blockedFor: number): MaybePromise<void> {
  if (blockedFor > 0) {
    ctx.services.metrics.rateLimited('auth_failures');
    throw AppError.of('AUTH_THROTTLED', undefined, { extra: { RetryAfter: blockedFor } });
  }
  const { auth } = ctx.services;
  const { apiKey, sessionId } = ctx.caller;
  const principal = apiKey ? auth.authenticateApiKey(apiKey) : sessionId ? auth.authenticateSession(sessionId) : null;
  return isPromise(principal) ? principal.then((found) => admit(ctx, found)) : admit(ctx, principal);
}

function admit(ctx: CallContext, principal: Principal | null): MaybePromise<void> {
  if (!principal) {
    const { apiKey, sessionId, ip } = ctx.caller;
    // A request with no credentials at all is a client mistake, not a guess: only presented credentials count.
    if (!apiKey && !sessionId) throw AppError.of('AUTHENTICATION_FAILED');
    const recorded = ctx.services.authFailures.recordFailure(ip);
    if (isPromise(recorded)) return recorded.then(refuse);
    return refuse();
  }
  ctx.principal = principal;
  ctx.account = accountOf(principal);
}

function refuse(): never {
  throw AppError.of('AUTHENTICATION_FAILED');
}
