/**
 * What makes a domain's mail records right, as pure functions over the TXT values a name server answered: one SPF
 * record (RFC 7208 §3.2: more than one is a permerror) holding the platform's rules, a DMARC record with a valid
 * policy (RFC 7489 §6.3: `v=DMARC1` first, `p=` required), and a DKIM key record whose `p=` is an RSA public key of at
 * least 1024 bits (RFC 6376 §3.6.1; RFC 8301 §3.2 requires 1024 and recommends 2048). No I/O here: the verifier
 * (src/services/verify-service.ts) asks the servers and hands the answers in.
 */
import { createPublicKey } from 'node:crypto';
import { isSpf, parseSpfRules } from './spf.js';

/** RFC 8301 §3.2: "Signers MUST use RSA keys of at least 1024 bits". */
export const DKIM_MIN_RSA_BITS = 1024;

export interface SpfRecordCheck {
  readonly ok: boolean;
  /** SPF records found at the name (`v=spf1 …`). */
  readonly records: number;
  /** The single SPF record, when there is exactly one. */
  readonly record: string | null;
  /** Whether that record holds every required rule (null when none are required). */
  readonly hasRules: boolean | null;
  readonly problem: string | null;
}

/**
 * The SPF records among `values` (a name's TXT values, chunks joined), checked for: exactly one when `rules` are
 * required (the platform's include), at most one otherwise (a domain may send no mail of its own), and the rules
 * present, as terms, in that one record.
 */
export function checkSpfRecords(values: readonly string[], rules: string | null): SpfRecordCheck {
  const spfs = values.filter((v) => isSpf(v.trim()));
  const record = spfs.length === 1 ? spfs[0]!.trim() : null;
  const terms = record ? new Set(record.toLowerCase().split(/\s+/).slice(1)) : new Set<string>();
  const required = rules ? parseSpfRules(rules).map((t) => t.text.toLowerCase()) : [];
  const hasRules = rules === null ? null : record !== null && required.every((t) => terms.has(t) || terms.has(`+${t}`));
  const problem =
    spfs.length > 1
      ? `${spfs.length} SPF records: receivers treat more than one as a permanent error (RFC 7208 §3.2)`
      : spfs.length === 0 && rules !== null
        ? 'no SPF record'
        : hasRules === false
          ? `the SPF record lacks ${required.filter((t) => !terms.has(t) && !terms.has(`+${t}`)).join(' ')}`
          : null;
  return { ok: problem === null, records: spfs.length, record, hasRules, problem };
}

export type DmarcPolicy = 'none' | 'quarantine' | 'reject';

export interface DmarcCheck {
  readonly ok: boolean;
  readonly record: string | null;
  readonly policy: DmarcPolicy | null;
  readonly problem: string | null;
}

/** The DMARC record among `_dmarc`'s TXT values: exactly one starting `v=DMARC1`, with `p=` none, quarantine or reject. */
export function checkDmarc(values: readonly string[]): DmarcCheck {
  // RFC 7489 §6.4: tag names are case-insensitive; records not starting with v=DMARC1 are ignored (§6.6.3).
  const dmarcs = values.filter((v) => /^\s*v\s*=\s*DMARC1\s*(;|$)/i.test(v));
  if (dmarcs.length === 0) return { ok: false, record: null, policy: null, problem: 'no DMARC record' };
  if (dmarcs.length > 1) return { ok: false, record: null, policy: null, problem: `${dmarcs.length} DMARC records: receivers ignore them all (RFC 7489 §6.6.3)` };
  const record = dmarcs[0]!.trim();
  const p = parseTags(record).get('p');
  if (p === undefined) return { ok: false, record, policy: null, problem: 'the DMARC record has no p= policy' };
  const policy = p.toLowerCase();
  if (policy !== 'none' && policy !== 'quarantine' && policy !== 'reject') {
    return { ok: false, record, policy: null, problem: `the DMARC policy p=${p} is not none, quarantine or reject` };
  }
  return { ok: true, record, policy, problem: null };
}

export interface DkimKeyCheck {
  readonly ok: boolean;
  /** RSA modulus length, when `p=` parses as an RSA public key. */
  readonly bits: number | null;
  readonly problem: string | null;
}

/** The DKIM key record among a selector's TXT values: one `v=DKIM1` (or unversioned) record, `p=` an RSA key ≥ 1024 bits. */
export function checkDkimKey(values: readonly string[]): DkimKeyCheck {
  // RFC 6376 §3.6.1: v= is optional but, when present, must be first and DKIM1.
  const keys = values.filter((v) => /^\s*v\s*=\s*DKIM1\s*(;|$)/i.test(v) || (!/^\s*v\s*=/i.test(v) && /(^|;)\s*p\s*=/i.test(v)));
  if (keys.length === 0) return { ok: false, bits: null, problem: 'no DKIM key record (v=DKIM1; … p=…)' };
  if (keys.length > 1) return { ok: false, bits: null, problem: `${keys.length} DKIM key records at one selector` };
  const tags = parseTags(keys[0]!);
  const keyType = (tags.get('k') ?? 'rsa').toLowerCase();
  if (keyType !== 'rsa') return { ok: false, bits: null, problem: `the key type k=${keyType} is not rsa` };
  const p = (tags.get('p') ?? '').replace(/\s+/g, '');
  // RFC 6376 §3.6.1: an empty p= means the key was revoked.
  if (p === '') return { ok: false, bits: null, problem: 'the DKIM key is revoked (empty p=)' };
  let bits: number | undefined;
  try {
    const key = createPublicKey({ key: Buffer.from(p, 'base64'), format: 'der', type: 'spki' });
    bits = key.asymmetricKeyType === 'rsa' ? key.asymmetricKeyDetails?.modulusLength : undefined;
  } catch {
    return { ok: false, bits: null, problem: 'p= is not a public key (base64 DER SubjectPublicKeyInfo)' };
  }
  if (bits === undefined) return { ok: false, bits: null, problem: 'p= is not an RSA public key' };
  if (bits < DKIM_MIN_RSA_BITS) return { ok: false, bits, problem: `the RSA key has ${bits} bits, under the ${DKIM_MIN_RSA_BITS} RFC 8301 requires` };
  return { ok: true, bits, problem: null };
}

/** `a=1; b = 2;` → Map { a → '1', b → '2' } (tag names lower-cased; the first of a repeated tag wins). */
function parseTags(record: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const part of record.split(';')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    const name = part.slice(0, at).trim().toLowerCase();
    if (name && !tags.has(name)) tags.set(name, part.slice(at + 1).trim());
  }
  return tags;
}
