/**
 * Authenticated encryption of small JSON values with AES-256-GCM (node:crypto), under DOMAIN_CONNECT_TOKEN_KEY:
 * OAuth tokens at rest, and the OAuth `state` that carries a pending consent through the DNS provider and back (so
 * nothing about it needs storing, and nobody can read or forge it).
 *
 * Format: `v1.<base64url(iv 12 bytes | ciphertext | tag 16 bytes)>`, a fresh random IV per value (NIST SP 800-38D
 * §8.2.2: at most 2^32 values per key with random IVs, far beyond this use). `context` is bound as additional
 * authenticated data, so a value sealed for one purpose or domain does not open for another.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SealError extends Error {
  override readonly name = 'SealError';
}

export function seal(key: Buffer, value: unknown, context: string): string {
  if (key.length !== 32) throw new SealError('the sealing key must be 32 bytes');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return VERSION + Buffer.concat([iv, ciphertext, cipher.getAuthTag()]).toString('base64url');
}

/** The value, or SealError when the text was not sealed by this key for this context (or was altered). */
export function unseal<T>(key: Buffer, sealed: string, context: string): T {
  if (!sealed.startsWith(VERSION)) throw new SealError('not a sealed value');
  const raw = Buffer.from(sealed.slice(VERSION.length), 'base64url');
  if (raw.length < IV_BYTES + TAG_BYTES) throw new SealError('not a sealed value');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
  let plaintext: string;
  try {
    plaintext = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new SealError('the sealed value does not open with this key');
  }
  return JSON.parse(plaintext) as T;
}
