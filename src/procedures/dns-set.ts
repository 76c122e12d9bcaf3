import type { SetRecordsResult } from '../services/dns-service.js';
import { principalLabel } from '../services/journal.js';
import { authenticate } from './middleware/authenticate.js';
import { rateLimit } from './middleware/rate-limit.js';
import { requirePermission } from './middleware/require-permission.js';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { DOMAIN_CONNECT_PROVIDER } from '../domain-connect/service.js';
import {
  commandInput,
  describedField,
  flagInput,
  inputCheck,
  isMissing,
  optionalCredential,
  providerCommandFields,
  providerInput,
  providerWire,
  requireProviderCredentials,
  wordInput,
} from './inputs.js';
import { callerAccount, defineProcedure, type CallContext } from './procedure.js';

export const RECORD_SETS = ['campaign', 'email-gateway'] as const;

/** `RecordType`: missing or anything but a known record set → 4. */
export const recordTypeInput = wordInput(RECORD_SETS, 'RECORD_TYPE_MISSING', 'RECORD_TYPE_UNKNOWN', {
  description: 'The record set: `campaign` (return path, DKIM, tracking, SPF, DMARC) or `email-gateway` (the same without tracking).',
  examples: ['campaign'],
});

const isDomainConnect = (value: unknown) => typeof value === 'string' && value.trim().toLowerCase() === DOMAIN_CONNECT_PROVIDER;

/** `Provider` of dns.set: a provider adapter, or `domainconnect` (apply through a stored Domain Connect authorization). */
const setProviderWire = z.enum([...providerWire.options, DOMAIN_CONNECT_PROVIDER]).meta({
  description: `${providerWire.meta()?.description ?? ''} Or \`${DOMAIN_CONNECT_PROVIDER}\`: apply through the Domain Connect authorization that dns.connect with \`Flow=async\` stored (no credentials; no \`DryRun\`).`,
  examples: ['cloudflare'],
});
const setProviderInput = describedField(
  z.unknown().transform((value, ctx) => {
    if (isDomainConnect(value)) return DOMAIN_CONNECT_PROVIDER;
    const parsed = providerInput.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message });
      return z.NEVER;
    }
    return parsed.data;
  }),
  { wire: setProviderWire, errors: ['PROVIDER_MISSING', 'PROVIDER_UNSUPPORTED'] },
);

/** The provider's credentials, `ApiKey` included, for every provider but domainconnect. */
const requireSetCredentials = inputCheck(
  [...requireProviderCredentials.errors, 'API_KEY_MISSING'],
  `\`ApiKey\` is required for every provider but \`${DOMAIN_CONNECT_PROVIDER}\` (code 2 when missing); which other credentials are required depends on the provider (see each credential).`,
  (raw, ctx) => {
    requireProviderCredentials(raw, ctx);
    if (!isDomainConnect(raw.provider) && isMissing(raw.apiKey)) ctx.addIssue({ code: 'custom', message: 'API_KEY_MISSING', path: ['apiKey'] });
  },
);

export const setInput = commandInput(
  {
    ...providerCommandFields,
    provider: setProviderInput,
    // Required for every provider but domainconnect (which uses the stored authorization): checked below.
    apiKey: optionalCredential('apiKey'),
    recordType: recordTypeInput,
    dryRun: flagInput('DryRun', 'Plan only: nothing is written, and the reply lists the plan (`changes`).'),
    force: flagInput('Force', 'Replace exactly the conflicting records the plan names instead of refusing with code 9.'),
  },
  requireSetCredentials,
);

/** dns.set: writes the record set through the provider (read, plan, then apply; a dry run only plans). */
export const dnsSet = defineProcedure({
  name: 'dns.set',
  input: setInput,
  middleware: [authenticate, rateLimit, requirePermission('User.Update')],
  errors: ['PROVIDER_UNSUPPORTED', 'PARAMETER_INVALID', 'DOMAIN_CONNECT_UNAVAILABLE', 'SET_FAILED', 'SET_ERROR', 'LOCK_LOST', 'JOURNAL_FAILED', 'INTERNAL_ERROR'],
  async handler(input, ctx): Promise<SetRecordsResult> {
    const principal = principalLabel(ctx.principal!);
    const account = callerAccount(ctx).id;
    if (input.provider === DOMAIN_CONNECT_PROVIDER) {
      if (input.dryRun) {
        throw AppError.of('PARAMETER_INVALID', 'DryRun: not available with Provider=domainconnect (the DNS provider plans and applies the template itself)');
      }
      const applied = await ctx.services.domainConnect.applyAsync({ domain: input.domain, recordType: input.recordType, force: input.force ?? false, principal, account, logger: ctx.logger });
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
      logger: ctx.logger,
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
    ctx.logger.error({ err: error, domain }, 'could not start the watch of an applied dns.set');
  }
}
