import { AppError } from '../errors.js';
import { principalLabel } from '../services/journal.js';
import type { WatchFeed, WatchView } from '../services/watches.js';
import { authenticate } from './middleware/authenticate.js';
import { rateLimit } from './middleware/rate-limit.js';
import { requirePermission } from './middleware/require-permission.js';
import { recordTypeInput } from './dns-set.js';
import { commandInput, domainInput, optionalDomainInput } from './inputs.js';
import { defineProcedure } from './procedure.js';

const middleware = [authenticate, rateLimit, requirePermission('User.Update')];

/**
 * dns.watch: starts (or restarts) the caller's watch of a record set on a domain, for records added by hand or
 * through another path; its first check is made at once. DNS only: no provider credentials.
 */
export const dnsWatch = defineProcedure({
  name: 'dns.watch',
  input: commandInput({ domain: domainInput, recordType: recordTypeInput }),
  middleware,
  errors: [],
  async handler({ domain, recordType }, ctx): Promise<{ watch: WatchView }> {
    const watch = await ctx.services.watches.start({ principal: principalLabel(ctx.principal!), domain, recordType, firstCheck: 'now' });
    return { watch };
  },
});

/** dns.watches: the caller's watches (of one domain, when given), each with its last result and next check. */
export const dnsWatches = defineProcedure({
  name: 'dns.watches',
  input: commandInput({ domain: optionalDomainInput }),
  middleware,
  errors: [],
  async handler({ domain }, ctx): Promise<{ watches: WatchView[] }> {
    return { watches: await ctx.services.watches.list(principalLabel(ctx.principal!), domain) };
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
    const feed = await ctx.services.watches.follow(principalLabel(ctx.principal!), domain, recordType);
    if (!feed) throw AppError.of('WATCH_NOT_FOUND');
    return feed;
  },
});
