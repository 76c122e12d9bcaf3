import { z } from 'zod';
import type { SetRecordsResult } from '../services/dns-service.js';
import { principalLabel } from '../services/journal.js';
import { authenticate } from './middleware/authenticate.js';
import { rateLimit } from './middleware/rate-limit.js';
import { requirePermission } from './middleware/require-permission.js';
import { AppError } from '../errors.js';
import { DOMAIN_CONNECT_PROVIDER } from '../domain-connect/service.js';
import { commandInput, flagInput, isMissing, optionalCredential, providerCommandFields, providerInput, requireProviderCredentials } from './inputs.js';
import { callerAccount, defineProcedure, type CallContext } from './procedure.js';

export const RECORD_SETS = ['campaign', 'email-gateway'] as const;

/** `RecordType`: missing or anything but a known record set → 4. */
export const recordTypeInput = z.unknown().transform((value, ctx): (typeof RECORD_SETS)[number] => {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    ctx.addIssue({ code: 'custom', message: 'RECORD_TYPE_MISSING' });
    return z.NEVER;
  }
  const name = typeof value === 'string' ? value.trim().toLowerCase() : '';
  const known = RECORD_SETS.find((r) => r === name);
  if (!known) {
    ctx.addIssue({ code: 'custom', message: 'RECORD_TYPE_UNKNOWN' });
    return z.NEVER;
  }
  return known;
});

const isDomainConnect = (value: unknown) => typeof value === 'string' && value.trim().toLowerCase() === DOMAIN_CONNECT_PROVIDER;

/** `Provider` of dns.set: a provider adapter, or `domainconnect` (apply through a stored Domain Connect authorization). */
const setProviderInput = z.unknown().transform((value, ctx) => {
  if (isDomainConnect(value)) return DOMAIN_CONNECT_PROVIDER;
  const parsed = providerInput.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message });
    return z.NEVER;
  }
  return parsed.data;
});

export const setInput = commandInput(
  {
    ...providerCommandFields,
    provider: setProviderInput,
    // Required for every provider but domainconnect (which uses the stored authorization): checked below.
    apiKey: optionalCredential('apiKey'),
    recordType: recordTypeInput,
    dryRun: flagInput('DryRun'),
    force: flagInput('Force'),
  },
  (raw, ctx) => {
    requireProviderCredentials(raw, ctx);
    if (!isDomainConnect(raw.provider) && isMissing(raw.apiKey)) ctx.addIssue({ code: 'custom', message: 'API_KEY_MISSING', path: ['apiKey'] });
  },
);

/** dns.set: writes the record set through the provider (read, plan, then apply; a dry run only plans). */
export const dnsSet = defineProcedure({
  name: 'dns.set',
  input: setInput,
  middleware: [authenticate, rateLimit, requirePermission('User.Update')],
  async handler(input, ctx): Promise<SetRecordsResult> {
    const principal = principalLabel(ctx.principal!);
    const account = callerAccount(ctx).id;
    if (input.provider === DOMAIN_CONNECT_PROVIDER) {
      if (input.dryRun) {
        throw AppError.of('PARAMETER_INVALID', 'DryRun: not available with Provider=domainconnect (the DNS provider plans and applies the template itself)');
      }
      const applied = await ctx.services.domainConnect.applyAsync({ domain: input.domain, recordType: input.recordType, force: input.force ?? false, principal, account });
      await startWatch(ctx, account, input.domain, input.recordType);
      return applied;
    }
    const result = await ctx.services.dns.setRecords({
      domain: input.domain,
      provider: input.provider,
      recordType: input.recordType,
      dryRun: input.dryRun ?? false,
      force: input.force ?? false,
      principal,
      account,
      credentials: { apiKey: input.apiKey!, apiSecret: input.apiSecret, apiUser: input.apiUser, username: input.username },
    });
    if (result.applied) await startWatch(ctx, account, input.domain, input.recordType);
    return result;
  },
});

/**
 * An applied dns.set starts (or restarts) the watch of what it wrote; its first check waits for propagation. The watch
 * belongs to the caller's account, as the journal entry does: every key and session of a user shares it.
 */
async function startWatch(ctx: CallContext, account: string, domain: string, recordType: (typeof RECORD_SETS)[number]): Promise<void> {
  try {
    await ctx.services.watches.start({ principal: account, domain, recordType, firstCheck: 'later' });
  } catch (error) {
    // The zone is written: failing the request now would only invite a retry of a finished write.
    ctx.services.logger.error({ err: error, domain }, 'could not start the watch of an applied dns.set');
  }
}
