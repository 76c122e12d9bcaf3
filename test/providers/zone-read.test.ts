/**
 * readWholeList, shared by the adapters whose record list is paginated: a list whose pages do not add up is read once
 * more, never a third time (each read costs every page again), and then reported as the provider's failure.
 */
import { describe, expect, it } from 'vitest';
import { readWholeList } from '../../providers/zone-read.js';

describe('readWholeList', () => {
  it('reads once more after an incomplete read, and takes the second when it adds up', async () => {
    const results = [{ complete: false, n: 1 }, { complete: true, n: 2 }];
    let reads = 0;
    expect(await readWholeList('linode', async () => results[reads++]!)).toEqual({ complete: true, n: 2 });
    expect(reads).toBe(2);
  });

  it('gives up after two incomplete reads with a failure the caller may retry', async () => {
    let reads = 0;
    const error = await readWholeList('linode', async () => (reads++, { complete: false })).catch((e: unknown) => e);
    expect(reads).toBe(2);
    expect(error).toMatchObject({ kind: 'unavailable', provider: 'linode' });
  });
});
