/**
 * providers/restore.ts: a revert writes a TXT value back as it was read only while it still reads as the value to
 * write; a stale or foreign value (a journal row that no longer matches) is encoded afresh from the content.
 */
import { describe, expect, it } from 'vitest';
import { restoredTxt, restoredTxtStrings } from '../providers/restore.js';
import { joinTxt } from '../src/records/txt.js';

const content = 'v=spf1 mx -all';

describe('restoredTxt', () => {
  it('gives the value as read when it decodes to the content', () => {
    expect(restoredTxt({ content, restoreWireValue: '"v=spf1 " "mx -all"' }, joinTxt)).toBe('"v=spf1 " "mx -all"');
    expect(restoredTxt({ content, restoreWireValue: content }, joinTxt)).toBe(content);
  });
  it('gives nothing for a stale value, a value that is not a string, or none', () => {
    expect(restoredTxt({ content, restoreWireValue: '"v=spf1 a -all"' }, joinTxt)).toBeUndefined();
    expect(restoredTxt({ content, restoreWireValue: ['v=spf1 ', 'mx -all'] }, joinTxt)).toBeUndefined();
    expect(restoredTxt({ content }, joinTxt)).toBeUndefined();
  });
});

describe('restoredTxtStrings (Azure: an array of character-strings)', () => {
  it('gives a copy of the strings as read when they join to the content', () => {
    const asRead = ['v=spf1 ', 'mx -all'];
    const restored = restoredTxtStrings({ content, restoreWireValue: asRead });
    expect(restored).toEqual(asRead);
    expect(restored).not.toBe(asRead);
  });
  it('gives nothing for stale strings, an empty array, other values, or none', () => {
    expect(restoredTxtStrings({ content, restoreWireValue: ['v=spf1 ', 'a -all'] })).toBeUndefined();
    expect(restoredTxtStrings({ content: '', restoreWireValue: [] })).toBeUndefined();
    expect(restoredTxtStrings({ content, restoreWireValue: ['v=spf1 ', 7] })).toBeUndefined();
    expect(restoredTxtStrings({ content, restoreWireValue: content })).toBeUndefined();
    expect(restoredTxtStrings({ content })).toBeUndefined();
  });
});
