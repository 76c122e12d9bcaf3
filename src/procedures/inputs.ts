/**
 * The input fields the DNS commands share, as zod schemas whose issue messages name catalogue entries. REST and
 * GraphQL both feed these, so a value refused on one path is refused the same way on the other.
 */
import { z } from 'zod';
import { normaliseDomain } from '../domain.js';
import type { ErrorKey } from '../errors.js';
import { isProviderId, PROVIDER_IDS, REQUIRED_CREDENTIALS } from '../../providers/registry.js';
import type { CredentialField, ProviderId } from '../../providers/types.js';

/** Longest name or credential we accept: real provider keys are < 100 characters. */
const MAX_VALUE_LENGTH = 1024;
/**
 * Longest `ApiSecret`: a Google service-account key file (the whole JSON, ~2.4 KB) must fit; still bounded.
 * It is also the one field that may hold line breaks and tabs (the key file's own layout).
 */
const MAX_SECRET_LENGTH = 4096;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
const CONTROL_CHARACTERS_BUT_LAYOUT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

const issue = (key: ErrorKey, detail?: string) => (detail ? `${key}|${detail}` : key);

export const isMissing = (value: unknown) => value === undefined || value === null || (typeof value === 'string' && value.trim() === '');

/** A required string parameter: missing → `missing`, wrong shape → `invalid` (with the reason). */
export function requiredString(missing: ErrorKey, invalid: ErrorKey) {
  return z.unknown().transform((value, ctx): string => {
    if (isMissing(value)) {
      ctx.addIssue({ code: 'custom', message: issue(missing) });
      return z.NEVER;
    }
    const problem = stringProblem(value);
    if (problem) {
      ctx.addIssue({ code: 'custom', message: issue(invalid, problem) });
      return z.NEVER;
    }
    return (value as string).trim();
  });
}

function stringProblem(value: unknown, kind: 'value' | 'secret' = 'value'): string | null {
  if (typeof value !== 'string') return `expected a string, got ${Array.isArray(value) ? 'an array' : typeof value}`;
  const max = kind === 'secret' ? MAX_SECRET_LENGTH : MAX_VALUE_LENGTH;
  if (value.length > max) return `longer than ${max} characters`;
  if ((kind === 'secret' ? CONTROL_CHARACTERS_BUT_LAYOUT : CONTROL_CHARACTERS).test(value)) return 'contains control characters';
  return null;
}

export const domainInput = z.unknown().transform((value, ctx): string => {
  if (isMissing(value)) {
    ctx.addIssue({ code: 'custom', message: issue('DOMAIN_MISSING') });
    return z.NEVER;
  }
  const problem = stringProblem(value);
  const result = problem ? null : normaliseDomain(value as string);
  if (!result || !result.ok) {
    ctx.addIssue({ code: 'custom', message: issue('DOMAIN_INVALID', problem ?? (result && !result.ok ? result.reason : undefined)) });
    return z.NEVER;
  }
  return result.domain;
});

/** `Provider`: any case; missing → 3, anything but a known provider → 8. */
export const providerInput = z.unknown().transform((value, ctx): ProviderId => {
  if (isMissing(value)) {
    ctx.addIssue({ code: 'custom', message: issue('PROVIDER_MISSING') });
    return z.NEVER;
  }
  const id = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (!isProviderId(id)) {
    ctx.addIssue({ code: 'custom', message: issue('PROVIDER_UNSUPPORTED', typeof value === 'string' ? `expected one of ${PROVIDER_IDS.join(', ')}` : 'expected a string') });
    return z.NEVER;
  }
  return id;
});

/** Flags (`DryRun`, `Force`): `true`/`1`/`false`/`0` in any case, or JSON booleans; absent → false. */
export const flagInput = (name: string) =>
  z.unknown().transform((value, ctx): boolean => {
    if (value === undefined || value === null || value === '') return false;
    if (typeof value === 'boolean') return value;
    if (typeof value === 'number' && (value === 0 || value === 1)) return value === 1;
    if (typeof value === 'string' && /^(true|1|false|0)$/i.test(value.trim())) return /^(true|1)$/i.test(value.trim());
    ctx.addIssue({ code: 'custom', message: issue('PARAMETER_INVALID', `${name}: expected true, false, 1 or 0`) });
    return z.NEVER;
  }).optional();

export const CREDENTIAL_ERRORS: Record<CredentialField, { missing: ErrorKey; invalid: ErrorKey }> = {
  apiKey: { missing: 'API_KEY_MISSING', invalid: 'API_KEY_INVALID' },
  apiSecret: { missing: 'API_SECRET_MISSING', invalid: 'API_SECRET_INVALID' },
  apiUser: { missing: 'API_USER_MISSING', invalid: 'API_USER_INVALID' },
  username: { missing: 'USERNAME_MISSING', invalid: 'USERNAME_INVALID' },
};

export const optionalCredential = (field: CredentialField) =>
  z.unknown().transform((value, ctx): string | undefined => {
    if (isMissing(value)) return undefined;
    const problem = stringProblem(value, field === 'apiSecret' ? 'secret' : 'value');
    if (problem) {
      ctx.addIssue({ code: 'custom', message: issue(CREDENTIAL_ERRORS[field].invalid, problem) });
      return z.NEVER;
    }
    return (value as string).trim();
  }).optional();

/** The fields of dns.authorize; dns.set adds its own. */
export const providerCommandFields = {
  domain: domainInput,
  provider: providerInput,
  apiKey: requiredString('API_KEY_MISSING', 'API_KEY_INVALID'),
  apiSecret: optionalCredential('apiSecret'),
  apiUser: optionalCredential('apiUser'),
  username: optionalCredential('username'),
};

/**
 * The credentials a provider needs besides the key (GoDaddy: secret → 5; Namecheap: user → 6, username → 7).
 * Runs on the raw input, so that a missing domain and a missing secret are both reported in one answer.
 */
export function requireProviderCredentials(raw: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const id = typeof raw.provider === 'string' ? raw.provider.trim().toLowerCase() : '';
  if (!isProviderId(id)) return;
  for (const field of REQUIRED_CREDENTIALS[id]) {
    if (isMissing(raw[field])) ctx.addIssue({ code: 'custom', message: issue(CREDENTIAL_ERRORS[field].missing), path: [field] });
  }
}

/**
 * An object input whose extra `check` sees the raw fields even when some fields fail (zod skips object refinements
 * after a field issue), so every applicable error is reported in one answer.
 */
export function commandInput<Shape extends z.ZodRawShape>(shape: Shape, check?: (raw: Record<string, unknown>, ctx: z.RefinementCtx) => void) {
  const object = z.object(shape);
  return z.unknown().transform((raw, ctx): z.output<typeof object> => {
    const record = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
    check?.(record, ctx);
    const result = object.safeParse(record);
    if (!result.success) {
      for (const i of result.error.issues) ctx.addIssue({ code: 'custom', message: i.message, path: i.path });
      return z.NEVER;
    }
    return result.data;
  });
}
