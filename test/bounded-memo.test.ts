import { describe, expect, it } from 'vitest';
import { boundedMemo } from '../src/bounded-memo.js';

describe('boundedMemo', () => {
  it('computes each key once, forgets the first-remembered past the bound, and remembers no failure', () => {
    const calls: string[] = [];
    const upper = boundedMemo(2, (s: string) => {
      calls.push(s);
      if (s === 'bad') throw new Error('refused');
      return s.toUpperCase();
    });
    expect([upper('a'), upper('b'), upper('a')]).toEqual(['A', 'B', 'A']);
    expect(calls).toEqual(['a', 'b']);
    upper('c'); // a, the first remembered, goes
    upper('a');
    expect(calls).toEqual(['a', 'b', 'c', 'a']);
    expect(() => upper('bad')).toThrow('refused');
    expect(() => upper('bad')).toThrow('refused');
    expect(calls.filter((s) => s === 'bad')).toHaveLength(2);
  });

  it('keys by keyOf, and remembers null results too', () => {
    let calls = 0;
    const f = boundedMemo(
      10,
      (a: string, _unused: number) => {
        calls++;
        return a === 'none' ? null : a;
      },
      (a) => a,
    );
    expect([f('none', 1), f('none', 2), f('x', 3), f('x', 4)]).toEqual([null, null, 'x', 'x']);
    expect(calls).toBe(2);
  });
});
