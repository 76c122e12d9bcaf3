/**
 * TXT values between their two forms: the joined value the service reasons about, and the RFC 1035 form of one or
 * more quoted character-strings that providers return and some of them (Cloudflare) expect on write.
 *
 * A character-string holds at most 255 octets, and a longer value is split into several strings that verifiers
 * concatenate without spaces (RFC 7208 §3.3, RFC 6376 §3.6.2.2). Comparing TXT records therefore always goes through
 * `joinTxt` (background.md R4, R10, R12).
 */

/** Octets per character-string (RFC 1035 §3.3). */
export const TXT_CHUNK_BYTES = 255;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

/**
 * `"v=spf1 " "-all"` → `v=spf1 -all`. Handles `\"`, `\\` and `\DDD` (decimal octet) escapes inside the quotes, and
 * strings that follow each other with or without whitespace. A value that is not entirely made of quoted strings is
 * returned unchanged: it is already the unquoted form (GoDaddy, Namecheap).
 */
export function joinTxt(value: string): string {
  const trimmed = value.trim();
  if (!trimmed.startsWith('"')) return value;
  return parseQuotedStrings(trimmed) ?? value;
}

function parseQuotedStrings(text: string): string | null {
  const bytes: number[] = [];
  const pushText = (s: string) => {
    for (const b of encoder.encode(s)) bytes.push(b);
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch !== '"') return null;
    i++;
    let closed = false;
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') {
        closed = true;
        i++;
        break;
      }
      if (c === '\\') {
        const digits = text.slice(i + 1, i + 4);
        if (/^\d{3}$/.test(digits)) {
          const octet = Number(digits);
          if (octet > 255) return null;
          bytes.push(octet);
          i += 4;
          continue;
        }
        const escaped = text.codePointAt(i + 1);
        if (escaped === undefined) return null;
        const s = String.fromCodePoint(escaped);
        pushText(s);
        i += 1 + s.length;
        continue;
      }
      const s = String.fromCodePoint(text.codePointAt(i)!);
      pushText(s);
      i += s.length;
    }
    if (!closed) return null;
  }
  return decoder.decode(new Uint8Array(bytes));
}

/**
 * Splits a value into character-strings of at most `maxBytes` UTF-8 octets, never inside a character.
 * An empty value is one empty string (a TXT record always has at least one).
 * @default maxBytes 255
 */
export function chunkTxt(value: string, maxBytes: number = TXT_CHUNK_BYTES): string[] {
  const chunks: string[] = [];
  let chunk = '';
  let size = 0;
  for (const ch of value) {
    const n = encoder.encode(ch).length;
    if (size + n > maxBytes && chunk !== '') {
      chunks.push(chunk);
      chunk = '';
      size = 0;
    }
    chunk += ch;
    size += n;
  }
  chunks.push(chunk);
  return chunks;
}

/** `value` as quoted, escaped ≤255-byte character-strings separated by one space: `"c1" "c2"`. */
export function quoteTxt(value: string): string {
  return chunkTxt(value)
    .map((chunk) => `"${chunk.replace(/[\\"]/g, (m) => `\\${m}`)}"`)
    .join(' ');
}
