import { describe, expect, it } from 'vitest';
import { OutlierDetector } from './outlier-detector.js';

const settings = { consecutiveFailures: 3, baseEjectionMs: 1000, maxEjectionMs: 3000 };
const A = 'http://10.0.0.1:80';

describe('OutlierDetector', () => {
  it('ejects after N consecutive failures, and a success in between resets the count', () => {
    const d = new OutlierDetector(settings);
    d.record(A, true, 0);
    d.record(A, true, 0);
    d.record(A, false, 0);
    d.record(A, true, 0);
    d.record(A, true, 0);
    expect(d.isEjected(A, 0)).toBe(false);
    d.record(A, true, 0);
    expect(d.isEjected(A, 0)).toBe(true);
    expect(d.isEjected(A, 999)).toBe(true);
    expect(d.isEjected(A, 1000)).toBe(false);
  });

  it('ejects for longer on each repeat, up to the maximum', () => {
    const d = new OutlierDetector(settings);
    const ejectAt = (now: number): void => {
      for (let i = 0; i < 3; i++) d.record(A, true, now);
    };
    ejectAt(0);
    expect(d.isEjected(A, 999)).toBe(true);
    ejectAt(1000);
    expect(d.isEjected(A, 2999)).toBe(true);
    expect(d.isEjected(A, 3000)).toBe(false);
    ejectAt(3000);
    expect(d.isEjected(A, 5999)).toBe(true); // 4000 capped to 3000
    expect(d.isEjected(A, 6000)).toBe(false);
    expect(d.ejectionsOf(A)).toBe(3);
  });

  it('forgets endpoints that left the config', () => {
    const d = new OutlierDetector(settings);
    for (let i = 0; i < 3; i++) d.record(A, true, 0);
    d.retainOnly(new Set());
    expect(d.isEjected(A, 0)).toBe(false);
  });
});
