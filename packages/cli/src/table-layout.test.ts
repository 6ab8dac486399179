import { describe, expect, it } from 'vitest';
import { fitTable, wrapLine } from './table-layout.js';

describe('fitTable', () => {
  it('keeps a table that fits as it is', () => {
    const { text, cut } = fitTable(['A', 'NOTE'], [['1', 'short']], { width: 80, wrap: [1] });
    expect(text).toBe('A  NOTE\n1  short');
    expect(cut).toBe(false);
  });

  it('wraps the wrap columns into the width, one item per line, other cells on the first line', () => {
    const long = `${'x'.repeat(10)} ${'y'.repeat(31)}`;
    const { text } = fitTable(['ID', 'CHANGES', 'WHY'], [['7', `${long}\n/b: 1 -> 2`, 'ramp']], { width: 40, wrap: [1, 2] });
    const lines = text.split('\n');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(40);
    expect(lines[1]).toMatch(/^7\s+xxxxxxxxxx\s+ramp$/);
    expect(lines.slice(2).map((line) => line.trim())).toEqual([`${'y'.repeat(29)}…`, '/b: 1 -> 2']);
  });

  it('cuts an item beyond its line budget with an ellipsis and says so', () => {
    const { text, cut } = fitTable(['C'], [['a '.repeat(100)]], { width: 20, wrap: [0], maxLinesPerItem: 3 });
    expect(cut).toBe(true);
    const lines = text.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[3]?.endsWith('…')).toBe(true);
  });
});

describe('wrapLine', () => {
  it('breaks at the last space that fits, else mid-word', () => {
    expect(wrapLine('aaa bbb ccc', 7)).toEqual(['aaa bbb', 'ccc']);
    expect(wrapLine('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
  });
});
