/**
 * One budget per caller (`RATE_LIMIT_MAX` per `RATE_LIMIT_WINDOW_SECONDS`), whatever the transport: every procedure
 * call draws one, so each DNS field of a GraphQL operation counts and aliases cannot multiply a budget.
 */
import { AppError } from '../../errors.js';
import { defineMiddleware } from '../procedure.js';

export const rateLimit = defineMiddleware(['RATE_LIMITED'], async (ctx) => {
  if (!ctx.principal) throw new Error('rateLimit must run after authenticate');
  const decision = await ctx.services.rateLimiter.consume(ctx.principal.rateLimitIdentity);
  ctx.rateLimit = { limit: decision.limit, remaining: decision.remaining, resetSeconds: decision.resetSeconds };
  if (decision.allowed) return;
  ctx.services.metrics.rateLimited('requests');
  throw AppError.of('RATE_LIMITED', undefined, { extra: { RetryAfter: decision.retryAfterSeconds } });
});
