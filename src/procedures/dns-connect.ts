import { z } from 'zod';
import type { ConnectUrl } from '../domain-connect/service.js';
import { principalLabel } from '../services/journal.js';
import { authenticate } from './middleware/authenticate.js';
import { rateLimit } from './middleware/rate-limit.js';
import { requirePermission } from './middleware/require-permission.js';
import { recordTypeInput } from './dns-set.js';
import { commandInput, domainInput } from './inputs.js';
import { callerAccount, defineProcedure } from './procedure.js';

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** An optional free-text parameter: bounded, printable; a bad one is PARAMETER_INVALID naming it. */
const optionalText = (name: string, max: number, invalid: string = 'PARAMETER_INVALID') =>
  z.unknown().transform((value, ctx): string | undefined => {
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string' || value.length > max || CONTROL_CHARACTERS.test(value)) {
      const why = typeof value !== 'string' ? 'expected a string' : value.length > max ? `longer than ${max} characters` : 'contains control characters';
      ctx.addIssue({ code: 'custom', message: invalid === 'PARAMETER_INVALID' ? `PARAMETER_INVALID|${name}: ${why}` : `${invalid}|${why}` });
      return z.NEVER;
    }
    return value.trim();
  }).optional();

/** `Flow`: `sync` (default) or `async` (OAuth), any case. */
const flowInput = z.unknown().transform((value, ctx): 'sync' | 'async' => {
  if (value === undefined || value === null || value === '') return 'sync';
  const flow = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (flow === 'sync' || flow === 'async') return flow;
  ctx.addIssue({ code: 'custom', message: 'PARAMETER_INVALID|Flow: expected sync or async' });
  return z.NEVER;
});

export const connectInput = commandInput({
  domain: domainInput,
  recordType: recordTypeInput,
  redirectUri: optionalText('RedirectURI', 2048, 'REDIRECT_URI_INVALID'),
  state: optionalText('State', 512),
  flow: flowInput.optional(),
});

/**
 * dns.connect: the Domain Connect URL that lets the customer apply a record set at their DNS provider themselves
 * (the synchronous flow: a signed apply URL, DC-spec "Apply Template URL"; `Flow=async`: the OAuth consent URL). It also starts a
 * watch of the domain (src/services/watches.ts), so the records are noticed once the provider writes them.
 */
export const dnsConnect = defineProcedure({
  name: 'dns.connect',
  input: connectInput,
  middleware: [authenticate, rateLimit, requirePermission('User.Update')],
  async handler(input, ctx): Promise<ConnectUrl> {
    const { services } = ctx;
    const principal = principalLabel(ctx.principal!);
    const account = callerAccount(ctx).id;
    const request = { domain: input.domain, recordType: input.recordType, redirectUri: input.redirectUri, state: input.state };
    const result = input.flow === 'async' ? await services.domainConnect.asyncUrl({ ...request, principal, account }) : await services.domainConnect.syncUrl(request);
    // The records appear only once the customer has approved at the provider: the first check waits. The watch belongs
    // to the caller's account.
    await services.watches
      .start({ principal: account, domain: input.domain, recordType: input.recordType, firstCheck: 'later' })
      .catch((error: unknown) => services.logger.warn({ domain: input.domain, err: { message: (error as Error).message } }, 'could not start a watch after dns.connect'));
    return result;
  },
});
