import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RoutingTableV1 } from '@graylane/contracts';
import { NO_UPSTREAMS, rolloutRecord, routingTableOf } from '@graylane/testkit';
import { TableHolder } from './table-holder.js';

function table(weight: number, activateAt?: Date): RoutingTableV1 {
  const checkout = rolloutRecord({ weight, ...NO_UPSTREAMS, updatedAt: '2026-11-26T12:00:00.000Z' });
  return { ...routingTableOf(checkout), ...(activateAt === undefined ? {} : { activateAt: activateAt.toISOString() }) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('TableHolder', () => {
  it('never goes backwards and tells listeners about each swap', () => {
    const holder = new TableHolder();
    const applied: number[] = [];
    holder.onApplied((version) => applied.push(version));
    expect(holder.apply(table(10), 5)).toBeUndefined();
    expect(holder.apply(table(20), 4)).toBe('stale');
    expect(holder.apply(table(20), 5)).toBe('stale');
    expect(holder.apply(table(30), 9)).toBeUndefined();
    expect(holder.current.version).toBe(9);
    expect(applied).toEqual([5, 9]);
  });

  it('keeps serving the old version until activateAt, then swaps; a newer version replaces a waiting one', () => {
    vi.useFakeTimers({ now: new Date('2026-11-26T12:00:00Z') });
    const holder = new TableHolder();
    holder.apply(table(10), 1);
    expect(holder.apply(table(20, new Date('2026-11-26T12:00:02Z')), 2)).toBe('scheduled');
    vi.advanceTimersByTime(1999);
    expect(holder.current.version).toBe(1);
    vi.advanceTimersByTime(1);
    expect(holder.current.version).toBe(2);

    expect(holder.apply(table(30, new Date('2026-11-26T12:00:10Z')), 3)).toBe('scheduled');
    expect(holder.apply(table(40), 3)).toBe('stale');
    expect(holder.apply(table(50), 4)).toBeUndefined();
    vi.advanceTimersByTime(60_000);
    expect(holder.current.version).toBe(4);
    expect(holder.scheduledVersion).toBeUndefined();
  });

  it('applies the very first version at once even with a future activateAt, so a new proxy can serve', () => {
    const holder = new TableHolder();
    expect(holder.apply(table(10, new Date(Date.now() + 60_000)), 7)).toBeUndefined();
    expect(holder.hasConfig).toBe(true);
  });
});

describe('TableHolder refusing what it cannot serve', () => {
  const withUpstream = (url: string): RoutingTableV1 => {
    const good = table(10);
    const checkout = good.rollouts.checkout!;
    return { ...good, rollouts: { checkout: { ...checkout, spec: { ...checkout.spec, canary: { name: 'v2', upstreams: [url] } } } } };
  };

  it.each(['http://127.0.0.1:99999', 'http://a%zz', 'http://[::1'])('keeps the last good table when %s arrives, and counts the refusal', (url) => {
    const holder = new TableHolder();
    const applied: number[] = [];
    holder.onApplied((version) => applied.push(version));
    holder.apply(table(10), 1);
    expect(() => holder.apply(withUpstream(url), 2)).toThrow(/spec\.canary\.upstreams\[0\]: invalid upstream/);
    expect(holder.current.version).toBe(1);
    expect(holder.rejected).toBe(1);
    expect(holder.lastRejected).toMatchObject({ version: 2, message: expect.stringMatching(/invalid upstream/) as unknown });
    expect(applied).toEqual([1]);
    // A later good version still applies.
    expect(holder.apply(table(20), 3)).toBeUndefined();
    expect(holder.current.version).toBe(3);
  });

  it('refuses a table its prepare step cannot handle, before the swap', () => {
    const holder = new TableHolder({
      prepare: (next) => {
        if (next.version === 2) throw new Error('cannot pool');
      },
    });
    holder.apply(table(10), 1);
    expect(() => holder.apply(table(20), 2)).toThrow('cannot pool');
    expect(holder.current.version).toBe(1);
    expect(holder.rejected).toBe(1);
  });

  it('lets no listener error escape a swap, at once or from an activateAt timer', () => {
    vi.useFakeTimers({ now: new Date('2026-11-26T12:00:00Z') });
    const failures: number[] = [];
    const holder = new TableHolder({ onListenerError: (_error, version) => failures.push(version) });
    const seen: number[] = [];
    holder.onApplied(() => {
      throw new Error('listener broke');
    });
    holder.onApplied((version) => seen.push(version));
    expect(holder.apply(table(10), 1)).toBeUndefined();
    expect(holder.apply(table(20, new Date('2026-11-26T12:00:02Z')), 2)).toBe('scheduled');
    expect(() => vi.advanceTimersByTime(2000)).not.toThrow();
    expect(holder.current.version).toBe(2);
    expect(seen).toEqual([1, 2]);
    expect(failures).toEqual([1, 2]);
  });
});
