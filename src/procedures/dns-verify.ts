import type { Verification } from '../services/verify-service.js';
import { authenticate } from './middleware/authenticate.js';
import { rateLimit } from './middleware/rate-limit.js';
import { requirePermission } from './middleware/require-permission.js';
import { recordTypeInput } from './dns-set.js';
import { domainInput, publicCommandInput } from './inputs.js';
import { defineProcedure } from './procedure.js';

/**
 * dns.verify: is the record set dns.set writes live on every authoritative name server of the domain, and are its
 * SPF, DMARC and DKIM records right? DNS only: no provider credentials.
 */
export const dnsVerify = defineProcedure({
  name: 'dns.verify',
  input: publicCommandInput({ domain: domainInput, recordType: recordTypeInput }),
  middleware: [authenticate, rateLimit, requirePermission('User.Update')],
  errors: ['VERIFY_NO_NAMESERVERS', 'VERIFY_LOOKUP_FAILED', 'VERIFY_FAILED'],
  handler: ({ domain, recordType }, ctx): Promise<Verification> => ctx.services.verify.verify(domain, recordType, ctx.logger),
});
