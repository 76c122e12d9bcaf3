/**
 * The input fields the DNS commands share, as zod schemas whose issue messages name catalogue entries. REST and
 * GraphQL both feed these, so a value refused on one path is refused the same way on the other.
 *
 * Each field is `z.unknown().transform(…)`, because it maps every problem to its own catalogue code, and a transform
 * cannot be described as JSON Schema. So each field carries its *wire schema* (`inputFields`): a plain, describable
 * zod schema that the transform itself validates with, after mapping "missing" to its code and folding case where
 * the field ignores it. The REST API description (src/rest/openapi.ts) renders these very schemas: what it shows is
 * what is checked.
 */
import { z } from 'zod';
import { normaliseDomain } from '../domain.js';
import type { ErrorKey } from '../errors.js';
import { isProviderId, PROVIDER_IDS, REQUIRED_CREDENTIALS } from '../../providers/registry.js';
import { PROVIDER_NAMES, type CredentialField, type ProviderId } from '../../providers/types.js';
import { describeCredential } from './provider-table.js';

/** Longest name or credential we accept: real provider keys are < 100 characters. */
const MAX_VALUE_LENGTH = 1024;
/**
 * Longest `ApiSecret`: a Google service-account key file (the whole JSON, ~2.4 KB) must fit; still bounded.
 * It is also the one field that may hold line breaks and tabs (the key file's own layout).
 */
const MAX_SECRET_LENGTH = 4096;
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f]*$/;
const NO_CONTROL_CHARACTERS_BUT_LAYOUT = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/;

/** How one input field looks on the wire, for the API description. */
export interface FieldDescription {
  /**
   * A describable schema of the value (after trimming and, where the field ignores case, lower-casing): the field's
   * transform validates with this very schema, so the description cannot promise what the check refuses.
   */
  readonly wire: z.ZodType;
  /** The catalogue entries the field reports: missing, then invalid. */
  readonly errors: readonly ErrorKey[];
}

/** Every input field's wire schema, keyed by the field schema the procedures validate with. */
export const inputFields = new WeakMap<z.ZodType, FieldDescription>();

/** Records `description` for `field` and returns `field`: every field of a `commandInput` needs one. */
export function describedField<Field extends z.ZodType>(field: Field, description: FieldDescription): Field {
  inputFields.set(field, description);
  return field;
}

/** A check across fields of one command input (e.g. the credentials a provider needs), with what it reports. */
export interface InputCheck {
  (raw: Record<string, unknown>, ctx: z.RefinementCtx): void;
  readonly errors: readonly ErrorKey[];
  /** One sentence for the API description: what the check requires. */
  readonly description: string;
}

/** An `InputCheck` from its catalogue entries, its sentence and the check itself. */
export function inputCheck(errors: readonly ErrorKey[], description: string, check: (raw: Record<string, unknown>, ctx: z.RefinementCtx) => void): InputCheck {
  return Object.assign(check, { errors, description });
}

/** How one command's input is made: its fields and its cross-field check. */
export interface CommandInputDescription {
  readonly shape: Readonly<Record<string, z.ZodType>>;
  readonly check?: InputCheck | undefined;
}

/** Every command input built by `commandInput`, keyed by the schema the procedure validates with. */
export const commandInputs = new WeakMap<z.ZodType, CommandInputDescription>();

const issue = (key: ErrorKey, detail?: string) => (detail ? `${key}|${detail}` : key);

export const isMissing = (value: unknown) => value === undefined || value === null || (typeof value === 'string' && value.trim() === '');

/** The wire schema of a text value: a string, bounded, without control characters (a secret may hold layout). */
export function text(kind: 'value' | 'secret' = 'value', max = kind === 'secret' ? MAX_SECRET_LENGTH : MAX_VALUE_LENGTH) {
  return z
    .string({ error: (i) => `expected a string, got ${Array.isArray(i.input) ? 'an array' : typeof i.input}` })
    .max(max, `longer than ${max} characters`)
    .regex(kind === 'secret' ? NO_CONTROL_CHARACTERS_BUT_LAYOUT : NO_CONTROL_CHARACTERS, 'contains control characters');
}

/** The first problem `wire` finds with `value`, as a reason for a message; null when it accepts it. */
export function wireProblem(wire: z.ZodType, value: unknown): string | null {
  const result = wire.safeParse(value);
  return result.success ? null : (result.error.issues[0]?.message ?? 'invalid');
}

/** What the API description shows for a field besides its type: a description and, where useful, an example. */
export type FieldDocs = {
  description: string;
  examples?: string[];
};

/** A required string parameter: missing → `missing`, wrong shape → `invalid` (with the reason). */
export function requiredString(missing: ErrorKey, invalid: ErrorKey, docs: FieldDocs) {
  const wire = text().min(1).meta(docs);
  const field = z
    .unknown()
    .transform((value, ctx): string => {
      if (isMissing(value)) {
        ctx.addIssue({ code: 'custom', message: issue(missing) });
        return z.NEVER;
      }
      const problem = wireProblem(wire, value);
      if (problem) {
        ctx.addIssue({ code: 'custom', message: issue(invalid, problem) });
        return z.NEVER;
      }
      return (value as string).trim();
    });
  return describedField(field, { wire, errors: missing === invalid ? [missing] : [missing, invalid] });
}

const domainWire = text()
  .min(1)
  .meta({
    description:
      'A public domain name: any case, an IDN as typed or in punycode, a trailing dot allowed. IP addresses, single labels, ' +
      'public suffixes (`co.uk`) and special-use names (`.test`, `.local`, `.example`, …) are refused with code 1.',
    examples: ['example.com'],
  });

const domainField = z
  .unknown()
  .transform((value, ctx): string => {
    if (isMissing(value)) {
      ctx.addIssue({ code: 'custom', message: issue('DOMAIN_MISSING') });
      return z.NEVER;
    }
    const problem = wireProblem(domainWire, value);
    const result = problem ? null : normaliseDomain(value as string);
    if (!result || !result.ok) {
      ctx.addIssue({ code: 'custom', message: issue('DOMAIN_INVALID', problem ?? (result && !result.ok ? result.reason : undefined)) });
      return z.NEVER;
    }
    return result.domain;
  });
export const domainInput = describedField(domainField, { wire: domainWire, errors: ['DOMAIN_MISSING', 'DOMAIN_INVALID'] });

/** `Domain` where it may be left out (dns.watches: all of the caller's watches): checked like every domain when given. */
const optionalDomainField = z
  .unknown()
  .transform((value, ctx): string | undefined => {
    if (isMissing(value)) return undefined;
    const parsed = domainInput.safeParse(value);
    if (!parsed.success) {
      for (const i of parsed.error.issues) ctx.addIssue({ code: 'custom', message: i.message });
      return z.NEVER;
    }
    return parsed.data;
  })
  .optional();
export const optionalDomainInput = describedField(optionalDomainField, { wire: domainWire, errors: ['DOMAIN_INVALID'] });

export const providerWire = z.enum(PROVIDER_IDS, { error: () => `expected one of ${PROVIDER_IDS.join(', ')}` }).meta({
  description: `The DNS provider that hosts the domain, in any case: ${PROVIDER_IDS.map((id) => `\`${id}\` (${PROVIDER_NAMES[id]})`).join(', ')}.`,
  examples: ['cloudflare'],
});

/** `Provider`: any case; missing → 3, anything but a known provider → 8. */
const providerField = z
  .unknown()
  .transform((value, ctx): ProviderId => {
    if (isMissing(value)) {
      ctx.addIssue({ code: 'custom', message: issue('PROVIDER_MISSING') });
      return z.NEVER;
    }
    if (typeof value !== 'string') {
      ctx.addIssue({ code: 'custom', message: issue('PROVIDER_UNSUPPORTED', 'expected a string') });
      return z.NEVER;
    }
    const result = providerWire.safeParse(value.trim().toLowerCase());
    if (!result.success) {
      ctx.addIssue({ code: 'custom', message: issue('PROVIDER_UNSUPPORTED', result.error.issues[0]?.message) });
      return z.NEVER;
    }
    return result.data;
  });
export const providerInput = describedField(providerField, { wire: providerWire, errors: ['PROVIDER_MISSING', 'PROVIDER_UNSUPPORTED'] });

/** A closed list of words, matched in any case after trimming: the wire schema lists them in lower case. */
export function wordInput<const Words extends readonly [string, ...string[]]>(words: Words, missing: ErrorKey, unknown: ErrorKey, docs: FieldDocs) {
  const wire = z.enum(words).meta({ ...docs, description: `${docs.description} Any case.` });
  const field = z
    .unknown()
    .transform((value, ctx): Words[number] => {
      if (isMissing(value)) {
        ctx.addIssue({ code: 'custom', message: issue(missing) });
        return z.NEVER;
      }
      const result = wire.safeParse(typeof value === 'string' ? value.trim().toLowerCase() : value);
      if (!result.success) {
        ctx.addIssue({ code: 'custom', message: issue(unknown) });
        return z.NEVER;
      }
      return result.data as Words[number];
    });
  return describedField(field, { wire, errors: missing === unknown ? [missing] : [missing, unknown] });
}

/** Flags (`DryRun`, `Force`): `true`/`1`/`false`/`0` in any case, or JSON booleans and 0/1; absent → false. */
export const flagInput = (name: string, description: string) => {
  const wire = z
    .literal([true, false, 1, 0, 'true', 'false', '1', '0'], { error: () => 'expected true, false, 1 or 0' })
    .meta({ description: `${description} \`true\`/\`1\` or \`false\`/\`0\` (any case; a JSON boolean in a JSON body); absent means false.` });
  const field = z
    .unknown()
    .transform((value, ctx): boolean => {
      if (value === undefined || value === null || value === '') return false;
      const result = wire.safeParse(typeof value === 'string' ? value.trim().toLowerCase() : value);
      if (!result.success) {
        ctx.addIssue({ code: 'custom', message: issue('PARAMETER_INVALID', `${name}: expected true, false, 1 or 0`) });
        return z.NEVER;
      }
      return result.data === true || result.data === 1 || result.data === 'true' || result.data === '1';
    })
    .optional();
  return describedField(field, { wire, errors: ['PARAMETER_INVALID'] });
};

export const CREDENTIAL_ERRORS: Record<CredentialField, { missing: ErrorKey; invalid: ErrorKey }> = {
  apiKey: { missing: 'API_KEY_MISSING', invalid: 'API_KEY_INVALID' },
  apiSecret: { missing: 'API_SECRET_MISSING', invalid: 'API_SECRET_INVALID' },
  apiUser: { missing: 'API_USER_MISSING', invalid: 'API_USER_INVALID' },
  username: { missing: 'USERNAME_MISSING', invalid: 'USERNAME_INVALID' },
};

const CREDENTIAL_LEADS: Record<CredentialField, string> = {
  apiKey: "The DNS provider's API key (not your key for this service, `APIKey`). Never stored, never logged.",
  apiSecret: 'Never stored, never logged. Required where the provider needs it (code 5 when missing).',
  apiUser: 'Never stored, never logged. Required where the provider needs it (code 6 when missing).',
  username: 'Never stored, never logged. Required where the provider needs it (code 7 when missing).',
};

const credentialDocs = (field: CredentialField): FieldDocs => ({ description: describeCredential(field, CREDENTIAL_LEADS[field]) });

/** A credential only some providers need: absent or blank → undefined; the check below requires it per provider. */
export const optionalCredential = (name: CredentialField) => {
  const wire = text(name === 'apiSecret' ? 'secret' : 'value').meta(credentialDocs(name));
  const field = z
    .unknown()
    .transform((value, ctx): string | undefined => {
      if (isMissing(value)) return undefined;
      const problem = wireProblem(wire, value);
      if (problem) {
        ctx.addIssue({ code: 'custom', message: issue(CREDENTIAL_ERRORS[name].invalid, problem) });
        return z.NEVER;
      }
      return (value as string).trim();
    })
    .optional();
  return describedField(field, { wire, errors: [CREDENTIAL_ERRORS[name].invalid] });
};

/** The fields of dns.authorize; dns.set adds its own. */
export const providerCommandFields = {
  domain: domainInput,
  provider: providerInput,
  apiKey: requiredString('API_KEY_MISSING', 'API_KEY_INVALID', credentialDocs('apiKey')),
  apiSecret: optionalCredential('apiSecret'),
  apiUser: optionalCredential('apiUser'),
  username: optionalCredential('username'),
};

/**
 * The credentials a provider needs besides the key (GoDaddy: secret → 5; Namecheap: user → 6, username → 7).
 * Runs on the raw input, so that a missing domain and a missing secret are both reported in one answer.
 */
export const requireProviderCredentials = inputCheck(
  [CREDENTIAL_ERRORS.apiSecret.missing, CREDENTIAL_ERRORS.apiUser.missing, CREDENTIAL_ERRORS.username.missing],
  'Which credentials are required depends on the provider (see each credential).',
  (raw, ctx) => {
    const id = typeof raw.provider === 'string' ? raw.provider.trim().toLowerCase() : '';
    if (!isProviderId(id)) return;
    for (const field of REQUIRED_CREDENTIALS[id]) {
      if (isMissing(raw[field])) ctx.addIssue({ code: 'custom', message: issue(CREDENTIAL_ERRORS[field].missing), path: [field] });
    }
  },
);

/**
 * An object input whose extra `check` sees the raw fields even when some fields fail (zod skips object refinements
 * after a field issue), so every applicable error is reported in one answer. The shape and the check are registered
 * (`commandInputs`), so the API description lists exactly the fields this input reads.
 */
export function commandInput<Shape extends Record<string, z.ZodType>>(shape: Shape, check?: InputCheck) {
  for (const [name, field] of Object.entries(shape)) {
    if (!inputFields.has(field)) throw new Error(`input field ${name} has no wire schema (build it with describedField)`);
  }
  const object = z.object(shape);
  const input = z
    .unknown()
    .transform((raw, ctx): z.output<typeof object> => {
      const record = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
      check?.(record, ctx);
      const result = object.safeParse(record);
      if (!result.success) {
        for (const i of result.error.issues) ctx.addIssue({ code: 'custom', message: i.message, path: i.path });
        return z.NEVER;
      }
      return result.data;
    });
  commandInputs.set(input, { shape, check });
  return input;
}

/** Inputs whose parse `parseInput` remembers, with their fields (built by `publicCommandInput`). */
export const rememberedInputs = new WeakMap<z.ZodType, readonly string[]>();

/**
 * A `commandInput` of public values only (a domain, a record type: no credential, no password) and without a
 * cross-field check, so its output depends on those fields' values alone: `parseInput` remembers it per distinct set
 * of values, because callers ask about the same domains again and again (the zod parse was the largest JavaScript
 * item of a cached dns.provider, 1.7 µs). Never for an input with a secret: it would be kept in memory as a key.
 */
export function publicCommandInput<Shape extends Record<string, z.ZodType>>(shape: Shape) {
  const input = commandInput(shape);
  rememberedInputs.set(input, Object.keys(shape));
  return input;
}

/** Every catalogue entry a command input can report: its fields' and its check's. */
export function inputErrors(input: z.ZodType): ErrorKey[] {
  const description = commandInputs.get(input);
  if (!description) throw new Error('not a command input (build it with commandInput)');
  const keys = Object.values(description.shape).flatMap((field) => inputFields.get(field)?.errors ?? []);
  return [...new Set([...keys, ...(description.check?.errors ?? [])])];
}
