import { AppError } from '../errors.js';
import type { WatchFeed, WatchView } from '../services/watches.js';
import { authenticate } from './middleware/authenticate.js';
import { rateLimit } from './middleware/rate-limit.js';
import { requirePermission } from './middleware/require-permission.js';
import { recordTypeInput } from './dns-set.js';
import { commandInput, domainInput, optionalDomainInput } from './inputs.js';
import { callerAccount, defineProcedure } from './procedure.js';

const middleware = [authenticate, rateLimit, requirePermission('User.Update')];

/**
 * dns.watch: starts (or restarts) the watch of a record set on a domain, for records added by hand or through
 * another path; its first check is made at once. The watch belongs to the caller's account (a user's keys and
 * sessions share it). DNS only: no provider credentials.
 */
export const dnsWatch = defineProcedure({
  name: 'dns.watch',
  input: commandInput({ domain: domainInput, recordType: recordTypeInput }),
  middleware,
  errors: [],
  async handler({ domain, recordType }, ctx): Promise<{ watch: WatchView }> {
    const watch = await ctx.services.watches.start({ principal: callerAccount(ctx).id, domain, recordType, firstCheck: 'now' });
    return { watch };
  },
});

/** dns.watches: the watches of the caller's account (of one domain, when given), each with its last result and next check. */
export const dnsWatches = defineProcedure({
  name: 'dns.watches',
  input: commandInput({ domain: optionalDomainInput }),
  middleware,
  errors: [],
  async handler({ domain }, ctx): Promise<{ watches: WatchView[] }> {
    return { watches: await ctx.services.watches.list(callerAccount(ctx).id, domain) };
  },
});

/**
 * The GraphQL subscription dnsStatusChanged (no REST command: REST has no streams): the caller's watch as it is now,
 * then each change, ending after READY or EXPIRED. Authenticated, rate-limited and permission-checked once, when it
 * starts, like every other operation.
 */
export const dnsWatchFeed = defineProcedure({
  name: 'dns.watchFeed',
  input: commandInput({ domain: domainInput, recordType: recordTypeInput }),
  middleware,
  errors: ['WATCH_NOT_FOUND'],
  async handler({ domain, recordType }, ctx): Promise<WatchFeed> {
    const feed = await ctx.services.watches.follow(callerAccount(ctx).id, domain, recordType);
    if (!feed) throw AppError.of('WATCH_NOT_FOUND');
    return feed;
  },
});
