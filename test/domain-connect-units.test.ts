/**
 * The pure parts of Domain Connect: which URLs discovery may follow (the SSRF rule before any connection), the
 * AES-256-GCM sealing of tokens and OAuth state, and the signed query string ("Digitally Sign Requests").
 */
import { createVerify, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkDestination, RefusedDestinationError } from '../src/domain-connect/http.js';
import { seal, SealError, unseal } from '../src/domain-connect/seal.js';
import { encodeQuery, signQuery } from '../src/domain-connect/sign.js';

describe('checkDestination', () => {
  const strict = { allowPrivate: false, allowHttp: false, what: 'the record' };
  it('refuses IP literals in every spelling, localhost, http, and credentials in the URL', () => {
    for (const url of [
      'https://127.0.0.1/v2/x/settings',
      'https://10.0.0.1/',
      'https://[::1]/',
      'https://[::ffff:127.0.0.1]/',
      'https://0x7f.1/', // WHATWG parses it as 127.0.0.1
      'https://2130706433/', // likewise
      'https://localhost/',
      'https://localhost./',
      'https://api.localhost/',
      'http://provider.example/',
      'https://user:pw@provider.example/',
      'ftp://provider.example/',
      'not a url',
    ]) {
      expect(() => checkDestination(url, strict), url).toThrow(RefusedDestinationError);
    }
    expect(checkDestination('https://api.provider.example/v2/example.com/settings', strict).hostname).toBe('api.provider.example');
  });

  it('allows loopback and http only where the operator said so (tests)', () => {
    expect(checkDestination('http://127.0.0.1:8080/x', { allowPrivate: true, allowHttp: true, what: 'x' }).port).toBe('8080');
    expect(() => checkDestination('http://127.0.0.1:8080/x', { allowPrivate: true, allowHttp: false, what: 'x' })).toThrow(/must be an https URL/);
  });
});

describe('seal / unseal (AES-256-GCM)', () => {
  const key = randomBytes(32);
  it('round-trips, with a fresh IV each time', () => {
    const value = { accessToken: 'at_x', expiresAt: 1 };
    const a = seal(key, value, 'dc-token:a.com');
    const b = seal(key, value, 'dc-token:a.com');
    expect(a).not.toBe(b);
    expect(a).not.toContain('at_x');
    expect(unseal(key, a, 'dc-token:a.com')).toEqual(value);
  });

  it('refuses another key, another context (domain), and any altered byte', () => {
    const sealed = seal(key, { x: 1 }, 'dc-token:a.com');
    expect(() => unseal(randomBytes(32), sealed, 'dc-token:a.com')).toThrow(SealError);
    expect(() => unseal(key, sealed, 'dc-token:b.com')).toThrow(SealError);
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    for (const index of [0, 12, raw.length - 1]) {
      const altered = Buffer.from(raw);
      altered[index]! ^= 1;
      expect(() => unseal(key, `v1.${altered.toString('base64url')}`, 'dc-token:a.com'), `byte ${index}`).toThrow(SealError);
    }
    expect(() => unseal(key, 'v1.', 'x')).toThrow(SealError);
  });
});

describe('signQuery', () => {
  it('appends sig and key last; the signature is RSA-SHA256 over exactly the encoded query before them', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const query = encodeQuery([
      ['domain', 'example.com'],
      ['host', ''],
      ['RUA', 'dmarc@example.net'],
      ['state', 'a b&c=d/é'],
    ]);
    expect(query).toBe('domain=example.com&host=&RUA=dmarc%40example.net&state=a%20b%26c%3Dd%2F%C3%A9');
    const signed = signQuery(query, privateKey, '_dck1');
    const m = /^(.*)&sig=([^&]+)&key=_dck1$/.exec(signed)!;
    expect(m[1]).toBe(query);
    const sig = decodeURIComponent(m[2]!);
    expect(createVerify('RSA-SHA256').update(query).verify(publicKey, sig, 'base64')).toBe(true);
    expect(createVerify('RSA-SHA256').update(query.replace('example.com', 'example.org')).verify(publicKey, sig, 'base64')).toBe(false);
  });
});
