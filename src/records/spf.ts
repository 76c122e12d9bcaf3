/**
 * SPF records as terms, and the merge the Domain Connect SPFM record type describes: the service adds its
 * mechanisms to the one SPF record a name may have instead of publishing a second one (RFC 7208 §3.2, §4.5; DC-spec
 * "SPF Record Merging"; background.md R1, R5).
 */

export type SpfQualifier = '+' | '-' | '~' | '?';

export interface SpfTerm {
  /** The term exactly as written in the record. */
  readonly text: string;
  readonly kind: 'mechanism' | 'modifier';
  /** The qualifier; `+` when the term has none (RFC 7208 §4.6.2). Modifiers always carry `+`. */
  readonly qualifier: SpfQualifier;
  /** Lower-case mechanism or modifier name: `include`, `all`, `ip4`, `redirect`, … */
  readonly name: string;
  /** What follows `:`, `/` or `=`, as written; undefined for a bare mechanism (`mx`, `-all`). */
  readonly value: string | undefined;
}

export interface ParsedSpf {
  /** The version token as written (`v=spf1`, in whatever case the record used). */
  readonly version: string;
  readonly terms: readonly SpfTerm[];
}

export class SpfError extends Error {
  override readonly name = 'SpfError';
}

/** True for a TXT value that is an SPF record: `v=spf1` followed by a space or the end, any case (RFC 7208 §4.5). */
export function isSpf(txt: string): boolean {
  return /^v=spf1(?: |$)/i.test(txt);
}

const MODIFIER = /^([a-z][a-z0-9_.-]*)=(.*)$/i;
const MECHANISM = /^([+\-~?]?)([a-z][a-z0-9_.-]*)([:/].*)?$/i;

/** One term of an SPF record (`~all`, `include:x`, `redirect=x`, `ip4:192.0.2.0/24`). */
function parseSpfTerm(text: string): SpfTerm {
  const modifier = MODIFIER.exec(text);
  if (modifier) return { text, kind: 'modifier', qualifier: '+', name: modifier[1]!.toLowerCase(), value: modifier[2] };
  const mechanism = MECHANISM.exec(text);
  if (!mechanism) throw new SpfError(`"${text}" is not an SPF mechanism or modifier`);
  const rest = mechanism[3];
  return {
    text,
    kind: 'mechanism',
    qualifier: (mechanism[1] || '+') as SpfQualifier,
    name: mechanism[2]!.toLowerCase(),
    value: rest === undefined ? undefined : rest.startsWith(':') ? rest.slice(1) : rest,
  };
}

export function parseSpf(record: string): ParsedSpf {
  if (!isSpf(record)) throw new SpfError('not an SPF record (it must start with "v=spf1")');
  const [version, ...rest] = record.trim().split(/\s+/);
  return { version: version!, terms: rest.map(parseSpfTerm) };
}

/** Two terms are the same when they differ only in case or in an explicit `+` (RFC 7208 §4.6.1, §4.6.2). */
function termKey(term: SpfTerm): string {
  if (term.kind === 'modifier') return term.text.toLowerCase();
  return `${term.qualifier}${term.text.replace(/^[+\-~?]/, '')}`.toLowerCase();
}

/** The `all` mechanism or `redirect=` modifier that ends evaluation: new mechanisms go before it. */
export function isTerminal(term: SpfTerm): boolean {
  return (term.kind === 'mechanism' && term.name === 'all') || (term.kind === 'modifier' && term.name === 'redirect');
}

/** Splits SPFM `spfRules` into terms; they may not hold the version, `all` or `redirect=` (DC-spec SPFM). */
export function parseSpfRules(rules: string): SpfTerm[] {
  const terms = rules
    .trim()
    .split(/\s+/)
    .filter((t) => t !== '' && t.toLowerCase() !== 'v=spf1')
    .map(parseSpfTerm);
  const terminal = terms.find(isTerminal);
  if (terminal) throw new SpfError(`spfRules must not contain "${terminal.text}": the record's own policy is kept`);
  return terms;
}

export interface SpfMerge {
  /** The one SPF record to publish. Equal to `existing`, character for character, when nothing was missing. */
  readonly record: string;
  /** The rule terms that were not in the record yet, in the order they were added. */
  readonly added: string[];
}

/**
 * Merges `rules` (space-separated mechanisms) into an SPF record.
 * - No record: `v=spf1 <rules> ~all` (DC-spec's fixed `~all`).
 * - A record: each rule it lacks (compared case-insensitively) is inserted before its `all` or `redirect=`, or at the
 *   end when it has neither. Its qualifier and every other term stay exactly as written.
 */
export function mergeSpf(existing: string | null, rules: string): SpfMerge {
  const ruleTerms = parseSpfRules(rules);
  if (existing === null) {
    const seen = new Set<string>();
    const added = ruleTerms.filter((t) => !seen.has(termKey(t)) && seen.add(termKey(t))).map((t) => t.text);
    return { record: ['v=spf1', ...added, '~all'].join(' '), added };
  }
  const parsed = parseSpf(existing);
  const present = new Set(parsed.terms.map(termKey));
  const added: string[] = [];
  for (const term of ruleTerms) {
    const key = termKey(term);
    if (present.has(key)) continue;
    present.add(key);
    added.push(term.text);
  }
  if (added.length === 0) return { record: existing, added };
  const terminalAt = parsed.terms.findIndex(isTerminal);
  const at = terminalAt === -1 ? parsed.terms.length : terminalAt;
  const texts = parsed.terms.map((t) => t.text);
  return { record: [parsed.version, ...texts.slice(0, at), ...added, ...texts.slice(at)].join(' '), added };
}
