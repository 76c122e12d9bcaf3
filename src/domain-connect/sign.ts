/**
 * Query strings for Domain Connect URLs, and the signature of the synchronous apply URL.
 *
 * DC-spec "Digitally Sign Requests" (`Domain Connect Spec Draft.adoc`, repository Domain-Connect/spec): the signature is RSA-SHA256 over the full query string, everything
 * after the `?` except `sig` and `key`, with each name and value URL-encoded before signing; it is base64, itself
 * URL-encoded, and appended as `sig=`, followed by `key=` naming the TXT host of the public key (looked up in the
 * template's `syncPubKeyDomain`). Appending `sig` and `key` last keeps "everything before them" exactly the signed
 * bytes, which is what a DNS provider checks.
 */
import { createSign, type KeyObject } from 'node:crypto';

/** `name=value` pairs, in order; names and values are encoded with encodeURIComponent (RFC 3986 unreserved kept). */
export function encodeQuery(pairs: readonly (readonly [string, string])[]): string {
  return pairs.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
}

/** Base64 RSA-SHA256 (PKCS#1 v1.5, RS256) signature of `data`. */
export function signData(data: string, privateKey: KeyObject): string {
  return createSign('RSA-SHA256').update(data, 'utf8').sign(privateKey, 'base64');
}

/** `query&sig=<urlencoded base64>&key=<key host>`: the query string a DNS provider can verify. */
export function signQuery(query: string, privateKey: KeyObject, keyHost: string): string {
  return `${query}&sig=${encodeURIComponent(signData(query, privateKey))}&key=${encodeURIComponent(keyHost)}`;
}
