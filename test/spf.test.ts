import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpfError, isSpf, mergeSpf, parseSpf } from '../src/records/spf.js';
import { chunkTxt, joinTxt, quoteTxt } from '../src/records/txt.js';
import { LONG_DKIM_TXT } from './fakes/seed-zone.js';

describe('isSpf', () => {
  it('accepts v=spf1 followed by a space or the end, in any case, and nothing else', () => {
    expect(isSpf('v=spf1 -all')).toBe(true);
    expect(isSpf('V=SPF1 include:x ~all')).toBe(true);
    expect(isSpf('v=spf1')).toBe(true);
    expect(isSpf('v=spf10 -all')).toBe(false);
    expect(isSpf('v=spf1-all')).toBe(false);
    expect(isSpf(' v=spf1 -all')).toBe(false);
    expect(isSpf('google-site-verification=abc')).toBe(false);
  });
});

describe('mergeSpf', () => {
  it('creates v=spf1 <rules> ~all when there is no record', () => {
    expect(mergeSpf(null, 'include:spf.sender.example.net')).toEqual({
      record: 'v=spf1 include:spf.sender.example.net ~all',
      added: ['include:spf.sender.example.net'],
    });
    expect(mergeSpf(null, ' include:a.example  include:A.example ip4:192.0.2.1 ').record).toBe('v=spf1 include:a.example ip4:192.0.2.1 ~all');
  });

  it('inserts before -all and keeps the hard-fail policy and every other term', () => {
    const existing = 'v=spf1 include:_spf.mailhost.example.net ip4:203.0.113.0/24 -all';
    expect(mergeSpf(existing, 'include:spf.sender.example.net')).toEqual({
      record: 'v=spf1 include:_spf.mailhost.example.net ip4:203.0.113.0/24 include:spf.sender.example.net -all',
      added: ['include:spf.sender.example.net'],
    });
  });

  it('inserts before redirect= and keeps modifiers that follow', () => {
    expect(mergeSpf('v=spf1 mx redirect=_spf.example.com', 'include:x.example').record).toBe('v=spf1 mx include:x.example redirect=_spf.example.com');
    expect(mergeSpf('v=spf1 a ?all exp=explain.example.com', 'mx').record).toBe('v=spf1 a mx ?all exp=explain.example.com');
    expect(mergeSpf('v=spf1 ip4:192.0.2.0/24', 'include:x.example').record).toBe('v=spf1 ip4:192.0.2.0/24 include:x.example');
  });

  it('dedupes case-insensitively and treats an explicit + as the default qualifier', () => {
    const existing = 'v=spf1 INCLUDE:Spf.Sender.Example.NET +mx ~all';
    expect(mergeSpf(existing, 'include:spf.sender.example.net mx')).toEqual({ record: existing, added: [] });
    // A different qualifier is a different term.
    expect(mergeSpf('v=spf1 -include:x.example ~all', 'include:x.example').added).toEqual(['include:x.example']);
  });

  it('refuses rules carrying their own policy, and records that are not SPF', () => {
    expect(() => mergeSpf(null, 'include:x -all')).toThrow(SpfError);
    expect(() => mergeSpf('v=spf1 -all', 'redirect=x.example')).toThrow(/must not contain "redirect=x.example"/);
    expect(() => mergeSpf('v=DMARC1; p=none', 'include:x')).toThrow(/not an SPF record/);
    expect(() => mergeSpf('v=spf1 in%valid -all', 'mx')).toThrow(/not an SPF mechanism/);
  });

  // Property (RFC 7208 §3.2, background.md R5): one record, every original term kept verbatim and in order, every
  // rule present, the policy kept, and a second merge is a no-op.
  const domain = fc
    .array(fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,10}$/), { minLength: 2, maxLength: 4 })
    .map((labels) => labels.join('.'));
  const qualifier = fc.constantFrom('', '+', '-', '~', '?');
  const mechanism = fc.oneof(
    fc.tuple(qualifier, domain).map(([q, d]) => `${q}include:${d}`),
    fc.tuple(qualifier, fc.constantFrom('a', 'mx', 'A', 'MX', 'ptr')).map(([q, m]) => `${q}${m}`),
    fc.tuple(qualifier, fc.ipV4(), fc.integer({ min: 8, max: 32 })).map(([q, ip, len]) => `${q}ip4:${ip}/${len}`),
    fc.tuple(qualifier, domain).map(([q, d]) => `${q}exists:%{i}.${d}`),
  );
  const policy = fc.oneof(
    fc.constantFrom('-all', '~all', '?all', '+all', 'all', ''),
    domain.map((d) => `redirect=${d}`),
  );
  const spfRecord = fc
    .tuple(fc.constantFrom('v=spf1', 'V=SPF1'), fc.array(mechanism, { maxLength: 6 }), policy, fc.option(domain.map((d) => `exp=${d}`)))
    .map(([v, terms, p, exp]) => [v, ...terms, p, exp ?? ''].filter(Boolean).join(' '));

  it('property: merge keeps one record with every original term, every rule and the policy', () => {
    fc.assert(
      fc.property(spfRecord, fc.array(mechanism, { minLength: 1, maxLength: 5 }), (existing, rules) => {
        const { record } = mergeSpf(existing, rules.join(' '));
        const before = parseSpf(existing).terms.map((t) => t.text);
        const after = parseSpf(record).terms.map((t) => t.text);
        expect(isSpf(record)).toBe(true);
        expect(record.toLowerCase().split(' ').filter((t) => t === 'v=spf1')).toHaveLength(1);
        // Original terms survive verbatim and in order.
        expect(after.filter((t) => before.includes(t))).toEqual(before);
        const norm = (t: string) => (/^[+\-~?]/.test(t) ? t : `+${t}`).toLowerCase();
        for (const rule of rules) expect(after.map(norm)).toContain(norm(rule));
        // The policy term is the same and nothing was inserted after it.
        const terminal = (ts: string[]) => ts.findIndex((t) => /^[+\-~?]?all$/i.test(t) || /^redirect=/i.test(t));
        const b = terminal(before);
        const a = terminal(after);
        if (b === -1) expect(a).toBe(-1);
        else expect(after.slice(a)).toEqual(before.slice(b));
        expect(mergeSpf(record, rules.join(' '))).toEqual({ record, added: [] });
      }),
      { numRuns: 150 },
    );
  });
});

describe('TXT strings', () => {
  it('joins quoted chunks and unescapes \\" \\\\ and \\DDD', () => {
    expect(joinTxt('"v=spf1 include:a.example " "-all"')).toBe('v=spf1 include:a.example -all');
    expect(joinTxt('"a""b"')).toBe('ab');
    expect(joinTxt('"say \\"hi\\" \\\\ bye"')).toBe('say "hi" \\ bye');
    expect(joinTxt('"caf\\195\\169"')).toBe('café');
    expect(joinTxt('v=DMARC1; p=none')).toBe('v=DMARC1; p=none');
    // Not entirely quoted strings: already the unquoted form, returned untouched.
    expect(joinTxt('"quoted" and not')).toBe('"quoted" and not');
    expect(joinTxt('"unterminated')).toBe('"unterminated');
  });

  it('chunks at 255 bytes without splitting a multibyte character', () => {
    const chunks = chunkTxt(LONG_DKIM_TXT);
    expect(chunks.map((c) => c.length)).toEqual([255, LONG_DKIM_TXT.length - 255]);
    const multibyte = 'é'.repeat(200); // 400 bytes: 127 characters (254 bytes) fit in the first string.
    expect(chunkTxt(multibyte).map((c) => Buffer.byteLength(c))).toEqual([254, 146]);
    expect(chunkTxt('')).toEqual(['']);
    expect(quoteTxt('a"b\\c')).toBe('"a\\"b\\\\c"');
  });

  it('property: quote then join gives the value back, in chunks of at most 255 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), (value) => {
        const chunks = chunkTxt(value);
        expect(chunks.join('')).toBe(value);
        for (const chunk of chunks) expect(Buffer.byteLength(chunk)).toBeLessThanOrEqual(255);
        expect(joinTxt(quoteTxt(value))).toBe(value);
      }),
      { numRuns: 150 },
    );
  });
});
