import { AppError } from '../errors.js';
import type { UserInfo } from '../auth/types.js';
import { commandInput, requiredString } from './inputs.js';
import { defineMiddleware, defineProcedure } from './procedure.js';

/** user.login: username + password → a session id usable as `SessionID` until it expires from inactivity. */
export const userLogin = defineProcedure({
  name: 'user.login',
  input: commandInput({
    username: requiredString('LOGIN_USERNAME_MISSING', 'LOGIN_USERNAME_MISSING', { description: 'The user name (`npm run cli -- users create`).' }),
    password: requiredString('LOGIN_PASSWORD_MISSING', 'LOGIN_PASSWORD_MISSING', { description: "The user's password." }),
  }),
  // No authentication (this is how a caller gets one), but failed logins feed the same per-address throttle.
  middleware: [
    defineMiddleware(['AUTH_THROTTLED'], async (ctx) => {
      const blockedFor = await ctx.services.authFailures.retryAfter(ctx.caller.ip);
      if (blockedFor > 0) throw AppError.of('AUTH_THROTTLED', undefined, { extra: { RetryAfter: blockedFor } });
    }),
  ],
  errors: ['LOGIN_INVALID'],
  async handler(input, ctx): Promise<{ SessionID: string; UserInfo: UserInfo }> {
    const session = await ctx.services.auth.login(input.username, input.password);
    if (!session) {
      await ctx.services.authFailures.recordFailure(ctx.caller.ip);
      throw AppError.of('LOGIN_INVALID');
    }
    return { SessionID: session.sessionId, UserInfo: session.user };
  },
});
