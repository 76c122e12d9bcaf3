/**
 * Reading a paginated record list whole. Where pages are offsets or a cursor, a record someone adds or deletes between
 * two page reads shifts the rest: one record shows twice, or not at all. The adapter's `read` walks every page and
 * says whether they add up (`complete`: the totals agree, no id repeats); one that does not is read once more, and a
 * second that does not is a provider failure the caller may retry. A plan made over part of the zone would be wrong.
 */
import { ProviderError, type ProviderId } from './types.js';

export async function readWholeList<T extends { readonly complete: boolean }>(provider: ProviderId, read: () => Promise<T>): Promise<T> {
  for (let tries = 0; tries < 2; tries++) {
    const result = await read();
    if (result.complete) return result;
  }
  throw new ProviderError(provider, 'unavailable', 'the record list changed while it was being read; try again');
}
