/**
 * Domain names as callers type them → the one canonical form the service works with: lower case, no trailing dot,
 * IDN in punycode. Anything that is not a public, registrable-or-below host name is refused before any lookup.
 */
import { domainToASCII } from 'node:url';
import { isIP } from 'node:net';
import { parse } from 'tldts';
import { boundedMemo } from './bounded-memo.js';

export type DomainProblem =
  | 'empty'
  | 'too_long'
  | 'invalid_characters'
  | 'ip_address'
  | 'single_label'
  | 'reserved'
  | 'bad_label'
  | 'public_suffix'
  | 'no_public_suffix';

export type DomainResult =
  | { ok: true; domain: string; registrable: string; publicSuffix: string }
  | { ok: false; problem: DomainProblem; reason: string };

const REASONS: Record<DomainProblem, string> = {
  empty: 'the domain is empty',
  too_long: 'the domain is longer than 253 characters',
  invalid_characters: 'the domain contains characters not allowed in a host name',
  ip_address: 'an IP address is not a domain',
  single_label: 'a single-label name is not a public domain',
  reserved: 'the name is reserved and not a public domain',
  bad_label: 'a label is empty, longer than 63 characters, or starts or ends with a hyphen',
  public_suffix: 'the name is a public suffix (such as co.uk), not a registered domain',
  no_public_suffix: 'the name is not under a known public suffix',
};

/** Special-use names (RFC 6761, RFC 6762, RFC 8375) that no DNS provider hosts. */
const RESERVED_SUFFIXES = ['localhost', 'local', 'test', 'invalid', 'example', 'internal', 'home.arpa', 'arpa', 'onion'];

/** WHATWG URL "ends in a number": a last label of digits, or `0x` hex (trailing dot allowed). */
const NUMERIC_LAST_LABEL = /(?:^|\.)(?:\d+|0x[0-9a-f]*)\.?$/i;

function fail(problem: DomainProblem): DomainResult {
  return { ok: false, problem, reason: REASONS[problem] };
}

export function normaliseDomain(input: string): DomainResult {
  // Longer inputs are refused anyway (too long) and not worth holding.
  return input.length <= MAX_REMEMBERED_INPUT ? normaliseRemembered(input) : Object.freeze(normaliseUncached(input));
}

/**
 * Normalising is pure but not cheap (IDN conversion, several IP-literal checks, a public-suffix walk): about a tenth
 * of a cached `dns.provider` request's CPU profile, for a name a caller sends again and again (it is normalised once
 * per command, and once more per detection).
 */
const normaliseRemembered = boundedMemo(10_000, (input: string) => Object.freeze(normaliseUncached(input)));
const MAX_REMEMBERED_INPUT = 300;

function normaliseUncached(input: string): DomainResult {
  let value = input.trim();
  if (value === '') return fail('empty');
  // Control characters, whitespace and URL syntax are refused before IDN conversion can hide them.
  if (/[\u0000-\u0020\u007f/\\:@?#%]/.test(value)) return fail(isIP(value.replace(/^\[|\]$/g, '')) ? 'ip_address' : 'invalid_characters');
  if (value.endsWith('.')) value = value.slice(0, -1);
  if (isIP(value) || isIP(value.replace(/^\[|\]$/g, ''))) return fail('ip_address');
  if (value.length > 253 * 4) return fail('too_long');
  // WHATWG host parsing reads a name whose last label is a number (`127.1`, `0x7f.1`, `example.123`) as an IPv4
  // address in one of its legacy forms, so such a name is an IP literal, never a domain.
  if (NUMERIC_LAST_LABEL.test(value)) return fail('ip_address');
  const ascii = domainToASCII(value.toLowerCase());
  if (ascii === '') return fail('invalid_characters');
  if (isIP(ascii) || NUMERIC_LAST_LABEL.test(ascii)) return fail('ip_address');
  if (ascii.length > 253) return fail('too_long');
  if (!/^[a-z0-9._-]+$/.test(ascii)) return fail('invalid_characters');
  const labels = ascii.split('.');
  if (labels.length < 2) return fail(labels[0] === 'localhost' ? 'reserved' : 'single_label');
  for (const label of labels) {
    if (label.length === 0 || label.length > 63 || label.startsWith('-') || label.endsWith('-')) return fail('bad_label');
  }
  if (RESERVED_SUFFIXES.some((s) => ascii === s || ascii.endsWith(`.${s}`))) return fail('reserved');
  // `_` is legal in DNS names (e.g. `_dmarc`) but never in the registrable part of a domain.
  const parsed = parse(ascii, { allowPrivateDomains: false });
  if (!parsed.domain && parsed.isIcann && parsed.publicSuffix === ascii) return fail('public_suffix');
  if (!parsed.domain || !parsed.publicSuffix || !parsed.isIcann) return fail('no_public_suffix');
  if (parsed.domain.includes('_')) return fail('invalid_characters');
  return { ok: true, domain: ascii, registrable: parsed.domain, publicSuffix: parsed.publicSuffix };
}

/** The registrable domain (`mail.example.co.uk` → `example.co.uk`), or null for names that have none. */
export function registrableDomain(name: string): string | null {
  const result = normaliseDomain(name);
  return result.ok ? result.registrable : null;
}

/** `example.co.uk` → `{ sld: 'example', tld: 'co.uk' }` by the public suffix list (Namecheap's SLD/TLD parameters). */
export function splitRegistrable(name: string): { sld: string; tld: string } | null {
  const result = normaliseDomain(name);
  if (!result.ok) return null;
  const sld = result.registrable.slice(0, result.registrable.length - result.publicSuffix.length - 1);
  return { sld, tld: result.publicSuffix };
}
