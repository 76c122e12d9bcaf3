/**
 * Revert fidelity (issue 16): a revert writes each record back exactly as the provider returned it when it was read
 * (`DnsRecord.wireValue`, kept by the journal, handed back as `DesiredRecord.restoreWireValue`), not re-encoded from
 * its neutral `content`: equal on the wire is not enough when the customer's dashboard would show a record changed.
 * Adapters of providers that keep a TXT value as entered (quoted or not, in the customer's character-strings) use
 * these; a value that no longer reads as the one to write (a stale or foreign journal row) is encoded afresh.
 */
import type { DesiredRecord } from '../src/records/model.js';

/** The TXT value to restore as read, when it is a string that `decode`s to the record's content; else undefined. */
export function restoredTxt(record: Pick<DesiredRecord, 'content' | 'restoreWireValue'>, decode: (wire: string) => string): string | undefined {
  const asRead = record.restoreWireValue;
  return typeof asRead === 'string' && decode(asRead) === record.content ? asRead : undefined;
}

/** The TXT character-strings to restore as read (Azure's `value` array), when they join to the content; else undefined. */
export function restoredTxtStrings(record: Pick<DesiredRecord, 'content' | 'restoreWireValue'>): string[] | undefined {
  const asRead = record.restoreWireValue;
  const strings = Array.isArray(asRead) && asRead.every((s): s is string => typeof s === 'string') ? asRead : undefined;
  return strings && strings.length > 0 && strings.join('') === record.content ? [...strings] : undefined;
}
