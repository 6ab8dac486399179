import { describe, expect, it } from 'vitest';
import { afterPoll } from './after-poll.js';

const nextImmediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('afterPoll', () => {
  it('runs nothing at once, then every queued call in order', async () => {
    const seen: string[] = [];
    const later = afterPoll((a: string, b: number) => seen.push(`${a}${b}`));
    later('a', 1);
    later('b', 2);
    later('c', 3);
    expect(seen).toEqual([]);
    await nextImmediate();
    expect(seen).toEqual(['a1', 'b2', 'c3']);
  });

  it('runs the calls of one pass together, ahead of what was scheduled between them', async () => {
    const seen: string[] = [];
    const later = afterPoll((a: string) => seen.push(a));
    later('first', 0);
    const between = nextImmediate().then(() => seen.push('scheduled in between'));
    later('second', 0);
    await between;
    // One immediate per pass: "second" rides with "first", it does not queue behind "between".
    expect(seen).toEqual(['first', 'second', 'scheduled in between']);
  });

  it('queues a call made while a batch runs for the next batch', async () => {
    const seen: string[] = [];
    const later = afterPoll((a: string) => {
      seen.push(a);
      if (a === 'outer') later('inner', 0);
    });
    later('outer', 0);
    await nextImmediate();
    expect(seen).toEqual(['outer']);
    await nextImmediate();
    expect(seen).toEqual(['outer', 'inner']);
  });
});
