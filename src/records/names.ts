/**
 * DNS name helpers shared by the template resolver and the planner. Names are compared the way DNS compares them:
 * case-insensitively and without the root's trailing dot (RFC 4343; background.md R12).
 */

/** `Key1._DomainKey.Example.COM.` → `key1._domainkey.example.com`. */
export function normaliseName(name: string): string {
  let value = name.trim().toLowerCase();
  while (value.endsWith('.')) value = value.slice(0, -1);
  return value;
}

/** True when `name` is `zone` itself or a name below it (both already normalised). */
export function isAtOrBelow(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/** True when `name` is strictly below `zone` (both already normalised). */
export function isBelow(name: string, zone: string): boolean {
  return name !== zone && name.endsWith(`.${zone}`);
}

// `_` is legal in owner names (`_dmarc`, `_domainkey`); `*` only as a whole leftmost label (RFC 4592).
const LABEL = /^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)$/;

/** A syntactically valid, normalised host name: labels of 1–63 characters, 253 characters at most. */
export function isValidHostName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  return labels.every((label, i) => LABEL.test(label) || (i === 0 && label === '*'));
}
