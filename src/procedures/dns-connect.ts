import { z } from 'zod';
import type { ConnectUrl } from '../domain-connect/service.js';
import { principalLabel } from '../services/journal.js';
import { authenticate } from './middleware/authenticate.js';
import { rateLimit } from './middleware/rate-limit.js';
import { requirePermission } from './middleware/require-permission.js';
import { recordTypeInput } from './dns-set.js';
import type { ErrorKey } from '../errors.js';
import { commandInput, describedField, domainInput, text, wireProblem, type FieldDocs } from './inputs.js';
import { callerAccount, defineProcedure } from './procedure.js';

/**
 * An optional free-text parameter: bounded, printable; a bad one is `invalid` (PARAMETER_INVALID naming it). An
 * empty value is no value.
 */
const optionalText = (name: string, max: number, invalid: ErrorKey, docs: FieldDocs) => {
  const wire = text('value', max).meta(docs);
  const field = z
    .unknown()
    .transform((value, ctx): string | undefined => {
      if (value === undefined || value === null || value === '') return undefined;
      const why = wireProblem(wire, value);
      if (why) {
        ctx.addIssue({ code: 'custom', message: invalid === 'PARAMETER_INVALID' ? `PARAMETER_INVALID|${name}: ${why}` : `${invalid}|${why}` });
        return z.NEVER;
      }
      return (value as string).trim();
    })
    .optional();
  return describedField(field, { wire, errors: [invalid] });
};

const FLOWS = ['sync', 'async'] as const;
const flowWire = z.enum(FLOWS).meta({
  description: '`sync` (default): a signed URL that applies the template at once. `async`: the OAuth consent URL; once consented, dns.set with `Provider=domainconnect` applies through the provider. Any case.',
});

/** `Flow`: `sync` (default) or `async` (OAuth), any case. */
const flowInput = describedField(
  z
    .unknown()
    .transform((value, ctx): 'sync' | 'async' => {
      if (value === undefined || value === null || value === '') return 'sync';
      const flow = flowWire.safeParse(typeof value === 'string' ? value.trim().toLowerCase() : value);
      if (flow.success) return flow.data;
      ctx.addIssue({ code: 'custom', message: 'PARAMETER_INVALID|Flow: expected sync or async' });
      return z.NEVER;
    })
    .optional(),
  { wire: flowWire, errors: ['PARAMETER_INVALID'] },
);

export const connectInput = commandInput({
  domain: domainInput,
  recordType: recordTypeInput,
  redirectUri: optionalText('RedirectURI', 2048, 'REDIRECT_URI_INVALID', {
    description: "Where the DNS provider sends the customer back: an http(s) URL on a host of the templates' `syncRedirectDomain`.",
  }),
  state: optionalText('State', 512, 'PARAMETER_INVALID', { description: 'Returned to `RedirectURI` unchanged.' }),
  flow: flowInput,
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
  errors: ['REDIRECT_URI_INVALID', 'DOMAIN_CONNECT_UNAVAILABLE', 'DOMAIN_CONNECT_UNREACHABLE'],
  async handler(input, ctx): Promise<ConnectUrl> {
    const { services } = ctx;
    const principal = principalLabel(ctx.principal!);
    const account = callerAccount(ctx).id;
    const request = { domain: input.domain, recordType: input.recordType, redirectUri: input.redirectUri, state: input.state, logger: ctx.logger };
    const result = input.flow === 'async' ? await services.domainConnect.asyncUrl({ ...request, principal, account }) : await services.domainConnect.syncUrl(request);
    // The records appear only once the customer has approved at the provider: the first check waits. The watch belongs
    // to the caller's account.
    await services.watches
      .start({ principal: account, domain: input.domain, recordType: input.recordType, firstCheck: 'later' })
      .catch((error: unknown) => ctx.logger.warn({ domain: input.domain, err: { message: (error as Error).message } }, 'could not start a watch after dns.connect'));
    return result;
  },
});
