/**
 * The service provider's signing key for the Domain Connect synchronous flow (DC-spec "Digitally Sign
 * Requests", `Domain Connect Spec Draft.adoc` in repository Domain-Connect/spec): an RSA key whose private half signs
 * the apply URL's query string with RSA-SHA256, and whose public half is published in DNS TXT records at
 * `<key host>.<syncPubKeyDomain>` as `p=<n>,a=RS256,d=<base64 DER>` segments, which DNS providers concatenate in `p`
 * order. Library crypto only (node:crypto): nothing here hand-rolls a primitive.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

/** Smallest RSA modulus accepted for signing; RFC 8301 and the DKIM practice the spec's examples follow use 2048. */
export const MIN_RSA_BITS = 2048;

/**
 * Base64 characters of the public key per TXT record. The spec's example uses about 200; DNS providers read only the
 * first character-string of each record (Domain-Connect/exampleservice `sigutil.py` takes `text.strings[0]`), so each
 * record must stay one string of at most 255 bytes: `p=N,a=RS256,d=` plus 200 characters does.
 */
export const PUBLIC_KEY_CHUNK = 200;

export class SigningKeyError extends Error {
  override readonly name = 'SigningKeyError';
}

/**
 * Parses a PEM private key and checks it is RSA of at least MIN_RSA_BITS. The error names what is wrong, never the
 * key. Env-style `\n` escapes (a PEM pasted on one line) are accepted.
 */
export function parseSigningKey(pem: string): KeyObject {
  const text = pem.includes('\n') ? pem : pem.replace(/\\n/g, '\n');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: text, format: 'pem' });
  } catch {
    throw new SigningKeyError('not a valid RSA private key (expected an unencrypted PEM private key)');
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new SigningKeyError(`not a valid RSA private key (it is ${key.asymmetricKeyType ?? 'not an asymmetric'} key; Domain Connect signs with RS256)`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) throw new SigningKeyError(`not a valid RSA private key for signing: ${bits} bits, at least ${MIN_RSA_BITS} are required`);
  return key;
}

/** The public key as the base64 of its SubjectPublicKeyInfo DER, the `d=` data of the TXT records. */
export function publicKeyData(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
}

/**
 * The TXT record values that publish `key` (DC-spec "Digitally Sign Requests"): `p=1,a=RS256,d=…`, `p=2,a=RS256,d=…`, each one
 * character-string of at most 255 bytes. The DNS provider sorts them by `p` and joins the `d` parts.
 */
export function publicKeyTxtRecords(key: KeyObject, chunk = PUBLIC_KEY_CHUNK): string[] {
  const data = publicKeyData(key);
  const records: string[] = [];
  for (let i = 0, part = 1; i < data.length; i += chunk, part++) records.push(`p=${part},a=RS256,d=${data.slice(i, i + chunk)}`);
  return records;
}

/** A new key pair for `domain-connect keygen`: the private key as PKCS#8 PEM, and its TXT records. */
export function generateSigningKey(bits = MIN_RSA_BITS): { privateKeyPem: string; publicKeyPem: string; txtRecords: string[] } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    txtRecords: publicKeyTxtRecords(privateKey),
  };
}
