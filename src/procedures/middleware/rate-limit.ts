/**
 * One budget per caller (`RATE_LIMIT_MAX` per `RATE_LIMIT_WINDOW_SECONDS`), whatever the transport: every procedure
 * call draws one, so each DNS field of a GraphQL operation counts and aliases cannot multiply a budget. Synchronous
 * with the in-process store; chains on the Redis store's promise.
 */
import { AppError } from '../../errors.js';
import { isPromise } from '../../maybe-promise.js';
import type { RateLimitDecision } from '../../rate-limit/limiter.js';
import { defineMiddleware, type CallContext } from '../procedure.js';

export const rateLimit = defineMiddleware(['RATE_LIMITED'], (ctx) => {
  if (!ctx.principal) throw new Error('rateLimit must run after authenticate');
  const decision = ctx.services.rateLimiter.consume(ctx.principal.rateLimitIdentity);
  return isPromise(decision) ? decision.then((d) => apply(ctx, d)) : apply(ctx, decision);
});

function apply(ctx: CallContext, decision: RateLimitDecision): void {
  ctx.rateLimit = { limit: decision.limit, remaining: decision.remaining, resetSeconds: decision.resetSeconds };
  if (decision.allowed) return;
  ctx.services.metrics.rateLimited('requests');
  throw AppError.of('RATE_LIMITED', undefined, { extra: { RetryAfter: decision.retryAfterSeconds } });
}
