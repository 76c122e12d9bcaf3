/**
 * Property-based tests (fast-check) of the three parsers bad input meets first: the REST parameter reader (over a
 * real loopback HTTP server, since it reads a node:http request), the domain validator, and the SPF merge (what
 * test/spf.test.ts does not cover already: garbage input, and merging in steps versus at once).
 */
import { getPublicSuffix } from 'tldts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import fc from 'fast-check';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, isAppError } from '../src/errors.js';
import { readParams } from '../src/rest/params.js';
import { normaliseDomain, registrableDomain, splitRegistrable } from '../src/domain.js';
import { mergeSpf, parseSpf, SpfError } from '../src/records/spf.js';

const MAX_BODY_BYTES = 8192;
const BODY_CODES = [ERROR_CATALOGUE.INVALID_JSON.code, ERROR_CATALOGUE.BODY_TOO_LARGE.code, ERROR_CATALOGUE.UNSUPPORTED_CONTENT_TYPE.code];

let server: Server;
let base: string;

beforeAll(async () => {
  // Answers what readParams made of the request: its entries with their JSON types, the AppError code, or (the
  // thing that must never happen) any other failure.
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const reply = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), connection: 'close' }).end(text);
    };
    Promise.resolve().then(() => readParams(req, url, { maxBodyBytes: MAX_BODY_BYTES })).then(
      (params) => reply(200, { entries: [...params.entries()] }),
      (error: unknown) => (isAppError(error) ? reply(error.httpStatus, { code: error.primary.code }) : reply(500, { unexpected: String(error) })),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function send(path: string, body?: string | Buffer, contentType?: string): Promise<{ status: number; entries?: [string, unknown][]; code?: number; unexpected?: string }> {
  const res = await request(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    body,
    headers: contentType ? { 'content-type': contentType } : {},
  });
  return { status: res.statusCode, ...((await res.body.json()) as object) };
}

/** Strings as callers send them: any Unicode (whole code points: a lone surrogate cannot be sent as UTF-8). */
const text = (maxLength: number) => fc.string({ unit: 'grapheme', maxLength });
const paramName = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 });
const jsonValue = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);

/** The last value of each name, in first-seen order: what PHP (and readParams) keeps for repeated names. */
const lastWins = (pairs: [string, string][]) => [...new Map(pairs).entries()];

describe('REST parameter reader (property)', () => {
  it('form bodies and query strings round-trip any names and values; a repeated name keeps its last value', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(paramName, text(30)), { maxLength: 6 }), async (pairs) => {
        const encoded = new URLSearchParams(pairs).toString();
        const viaForm = await send('/x', encoded, 'application/x-www-form-urlencoded; charset=UTF-8');
        expect(viaForm.entries).toEqual(lastWins(pairs));
        const viaQuery = await send(`/x?${encoded}`);
        expect(viaQuery.entries).toEqual(lastWins(pairs));
      }),
      { numRuns: 40 },
    );
  });

  it('JSON object bodies round-trip with their JSON types, "__proto__" and "constructor" included', async () => {
    const name = fc.oneof(paramName, fc.constantFrom('__proto__', 'constructor', 'prototype', 'hasOwnProperty'));
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.tuple(name, jsonValue), { maxLength: 6, selector: ([n]) => n }), async (pairs) => {
        const body = `{${pairs.map(([n, v]) => `${JSON.stringify(n)}:${JSON.stringify(v)}`).join(',')}}`;
        const res = await send('/x', body, 'application/json');
        expect(res.status).toBe(200);
        expect(res.entries).toEqual(pairs);
      }),
      { numRuns: 40 },
    );
  });

  it('multipart bodies round-trip printable field names and any values', async () => {
    const fieldName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.-]{0,11}$/);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.tuple(fieldName, text(30)), { maxLength: 5, selector: ([n]) => n }), async (pairs) => {
        const boundary = 'propertyBoundary7MA4YWxkTrZu0gW';
        const body = Buffer.from(
          `${pairs.map(([n, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${n}"\r\n\r\n${v}\r\n`).join('')}--${boundary}--\r\n`,
        );
        const res = await send('/x', body, `multipart/form-data; boundary=${boundary}`);
        expect(res.status).toBe(200);
        expect(res.entries).toEqual(pairs);
      }),
      { numRuns: 25 },
    );
  });

  it('any bytes under any content type give parameters or a catalogue error (100000/100001/100002), nothing else', async () => {
    const contentType = fc.oneof(
      fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'multipart/form-data', 'multipart/form-data; boundary=x', 'text/xml', 'application/json; charset=latin1', ''),
      fc.string({ maxLength: 40 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
    );
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      text(200).map((s) => Buffer.from(s)),
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
      fc.constant(Buffer.alloc(MAX_BODY_BYTES + 1, 0x61)),
    );
    await fc.assert(
      fc.asyncProperty(bytes, contentType, async (body, type) => {
        const res = await send('/x', body, type || undefined);
        expect(res.unexpected).toBeUndefined();
        if (res.status !== 200) expect(BODY_CODES).toContain(res.code);
        if (res.status === 200 && body.length > 0) expect(Array.isArray(res.entries)).toBe(true);
      }),
      { numRuns: 120 },
    );
  });
});

const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/).filter((l) => !/^xn--/.test(l) && l.slice(2, 4) !== '--');
const suffix = fc.constantFrom('com', 'net', 'org', 'de', 'co.uk', 'com.au', 'io', 'jp');
// A label in front of a suffix can itself be a public suffix (`ac` + `jp` = `ac.jp`): such names are not domains.
const validDomain = fc
  .tuple(fc.array(label, { minLength: 1, maxLength: 4 }), suffix)
  .map(([labels, s]) => [...labels, s].join('.'))
  .filter((d) => getPublicSuffix(d) !== d);
const unicodeLabel = fc.string({ unit: fc.constantFrom('a', 'b', 'z', '0', 'ü', 'ö', 'é', 'ß', 'ñ', 'å', '日', '本', 'д', 'ж'), minLength: 1, maxLength: 12 });
const casing = (s: string, flips: boolean[]) => [...s].map((c, i) => (flips[i % Math.max(flips.length, 1)] ? c.toUpperCase() : c)).join('');

describe('domain validator (property)', () => {
  it('never throws, and whatever it accepts is lower-case ASCII, ≤ 253 characters, no trailing dot, good labels, idempotent', () => {
    const anything = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.string({ unit: fc.constantFrom('a', 'Z', '0', '-', '.', '_', 'ü', '。', '\u200b', ' ', '[', ':', '%', '\u0000'), maxLength: 40 }),
      validDomain,
    );
    fc.assert(
      fc.property(anything, (input) => {
        const result = normaliseDomain(input);
        if (!result.ok) {
          expect(result.reason).toEqual(expect.any(String));
          return;
        }
        expect(result.domain).toMatch(/^[a-z0-9._-]+$/);
        expect(result.domain.length).toBeLessThanOrEqual(253);
        expect(result.domain.endsWith('.')).toBe(false);
        for (const l of result.domain.split('.')) {
          expect(l.length).toBeGreaterThan(0);
          expect(l.length).toBeLessThanOrEqual(63);
        }
        expect(normaliseDomain(result.domain)).toEqual(result);
        expect(result.domain === result.registrable || result.domain.endsWith(`.${result.registrable}`)).toBe(true);
        const split = splitRegistrable(input);
        expect(split && `${split.sld}.${split.tld}`).toBe(result.registrable);
      }),
      { numRuns: 2000 },
    );
  });

  it('ignores case and one trailing dot: any casing of a valid name gives the same answer', () => {
    fc.assert(
      fc.property(validDomain, fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), fc.boolean(), (domain, flips, dot) => {
        const plain = normaliseDomain(domain);
        expect(plain).toMatchObject({ ok: true, domain });
        expect(normaliseDomain(`${casing(domain, flips)}${dot ? '.' : ''}`)).toEqual(plain);
        expect(registrableDomain(domain)).toBe(plain.ok ? plain.registrable : null);
      }),
      { numRuns: 500 },
    );
  });

  it('turns an IDN into punycode, the same answer as for its ASCII form', () => {
    fc.assert(
      fc.property(fc.array(unicodeLabel, { minLength: 1, maxLength: 3 }), suffix, (labels, s) => {
        const input = [...labels, s].join('.');
        const ascii = domainToASCII(input.toLowerCase());
        const result = normaliseDomain(input);
        if (ascii === '') {
          expect(result.ok).toBe(false);
          return;
        }
        expect(result).toEqual(normaliseDomain(ascii));
        if (result.ok) expect(result.domain).toBe(ascii);
      }),
      { numRuns: 500 },
    );
  });

  it('never accepts an IP address, in any notation, bracketed or with a trailing dot', () => {
    const ip = fc.oneof(
      fc.ipV4(),
      fc.ipV4Extended(),
      fc.ipV6(),
      fc.ipV6().map((a) => `[${a}]`),
      fc.ipV4().map((a) => `${a}.`),
      fc.nat().map((n) => `0x${n.toString(16)}.1`),
      fc.tuple(fc.nat(255), fc.nat(16_777_215)).map(([a, b]) => `${a}.${b}`),
    );
    fc.assert(
      fc.property(ip, (address) => {
        const result = normaliseDomain(address);
        expect(result.ok, address).toBe(false);
        if (isIP(address.replace(/^\[|\]$|\.$/g, ''))) expect(result).toMatchObject({ problem: 'ip_address' });
      }),
      { numRuns: 1000 },
    );
  });

  it('never accepts a name carrying URL syntax, whitespace or control characters inside it (only its ends are trimmed)', () => {
    const bad = fc.constantFrom('/', '\\', ':', '@', '?', '#', '%', ' ', '\t', '\n', '\u0000', '\u001f', '\u007f');
    fc.assert(
      fc.property(validDomain, bad, fc.nat(), (domain, c, at) => {
        const i = 1 + (at % (domain.length - 1));
        expect(normaliseDomain(`${domain.slice(0, i)}${c}${domain.slice(i)}`).ok).toBe(false);
        const padded = normaliseDomain(`${c}${domain}${c}`);
        if (/\s/.test(c)) expect(padded).toEqual(normaliseDomain(domain));
        else expect(padded.ok).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('SPF merge (property; complements test/spf.test.ts)', () => {
  const domain = fc.array(fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,8}$/), { minLength: 2, maxLength: 3 }).map((l) => l.join('.'));
  const mechanism = fc.oneof(
    fc.tuple(fc.constantFrom('', '+', '-', '~', '?'), domain).map(([q, d]) => `${q}include:${d}`),
    fc.tuple(fc.constantFrom('', '+', '~'), fc.ipV4()).map(([q, ip]) => `${q}ip4:${ip}`),
    fc.constantFrom('a', 'mx', 'MX', '+a'),
  );
  const rules = fc.array(mechanism, { minLength: 1, maxLength: 4 }).map((r) => r.join(' '));
  const record = fc
    .tuple(fc.array(mechanism, { maxLength: 5 }), fc.constantFrom('-all', '~all', '?all', '', 'redirect=_spf.example.net'))
    .map(([terms, policy]) => ['v=spf1', ...terms, policy].filter(Boolean).join(' '));

  it('garbage records or rules fail only with SpfError, never with anything else', () => {
    const garbage = fc.oneof(fc.string({ maxLength: 60 }), record.map((r) => `${r} ${'%'}{`), fc.constant('v=spf1 ::: ==='));
    fc.assert(
      fc.property(fc.option(garbage, { nil: null }), fc.oneof(garbage, rules), (existing, r) => {
        try {
          const merged = mergeSpf(existing, r);
          expect(() => parseSpf(merged.record)).not.toThrow();
        } catch (error) {
          expect(error).toBeInstanceOf(SpfError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('merging two rule sets one after the other equals merging them at once (also into no record)', () => {
    fc.assert(
      fc.property(fc.option(record, { nil: null }), rules, rules, (existing, first, second) => {
        const stepwise = mergeSpf(mergeSpf(existing, first).record, second).record;
        expect(stepwise).toBe(mergeSpf(existing, `${first} ${second}`).record);
      }),
      { numRuns: 500 },
    );
  });

  it('a new record is "v=spf1", each distinct rule once in order, then "~all"', () => {
    fc.assert(
      fc.property(rules, (r) => {
        const { record: created, added } = mergeSpf(null, r);
        const terms = created.split(' ');
        expect(terms[0]).toBe('v=spf1');
        expect(terms.at(-1)).toBe('~all');
        expect(terms.slice(1, -1)).toEqual(added);
        const keys = added.map((t) => (/^[+\-~?]/.test(t) ? t : `+${t}`).toLowerCase());
        expect(new Set(keys).size).toBe(keys.length);
      }),
      { numRuns: 300 },
    );
  });
});
