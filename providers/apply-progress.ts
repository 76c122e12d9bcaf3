/**
 * What a provider that cannot apply a plan atomically tells the caller when it stops part-way: the provider's reason,
 * then exactly which changes are in the zone, which are not, and which are unknown (a write whose reply was lost and
 * that could not be re-read). The journal keeps the applied part (`ProviderError.applied`), and a new dns.set, which
 * re-reads and plans afresh, finishes the rest.
 */
import { ProviderError, type RecordChange } from './types.js';

/** `CREATE CNAME sl.example.com`: a change as the error message names it. */
export function describeChange(change: RecordChange): string {
  const record = change.action === 'DELETE' ? change.before : change.record;
  return `${change.action} ${record.type.toUpperCase()} ${record.name}`;
}

export function partialApplyError(
  error: ProviderError,
  applied: readonly RecordChange[],
  changes: readonly RecordChange[],
  unknown: readonly RecordChange[] = [],
): ProviderError {
  const uncertain = new Set(unknown);
  const notApplied = changes.filter((c) => !applied.includes(c) && !uncertain.has(c));
  const parts = [
    applied.length === 0
      ? 'no change was applied'
      : `${applied.length} of ${changes.length} changes were applied (${applied.map(describeChange).join(', ')})`,
    ...(uncertain.size > 0 ? [`unknown whether ${[...uncertain].map(describeChange).join(', ')} was applied`] : []),
    ...(notApplied.length > 0 && applied.length > 0 ? [`not applied: ${notApplied.map(describeChange).join(', ')}`] : []),
  ];
  const retry = applied.length > 0 || uncertain.size > 0 ? '; run dns.set again to finish' : '';
  return new ProviderError(error.provider, error.kind, `${error.reason}; ${parts.join('; ')}${retry}`, {
    cause: error,
    ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
    applied,
  });
}

/**
 * A write whose failure may have reached the provider and whose outcome could not be read back: its changes are
 * reported as unknown. It carries the provider's own error (`error`) and says the same.
 */
export class UncertainWrite extends ProviderError {
  constructor(readonly error: ProviderError) {
    super(error.provider, error.kind, error.reason, { cause: error, retryAfterSeconds: error.retryAfterSeconds });
  }
}
