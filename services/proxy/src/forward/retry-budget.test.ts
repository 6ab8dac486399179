import { describe, expect, it } from 'vitest';
import { isRetryable, RetryBudget } from './retry-budget.js';

describe('RetryBudget', () => {
  it('allows retries up to the ratio of recent requests, with a floor', () => {
    let now = 10_000;
    const budget = new RetryBudget(0.2, 2, () => now);
    for (let i = 0; i < 100; i++) budget.noteRequest();
    let granted = 0;
    while (budget.tryRetry()) granted += 1;
    expect(granted).toBe(20);
    now += 2500; // both windows passed: only the floor is left
    expect([budget.tryRetry(), budget.tryRetry(), budget.tryRetry()]).toEqual([true, true, false]);
  });
});

describe('isRetryable', () => {
  it('retries only idempotent requests without a body', () => {
    expect(isRetryable('GET', {})).toBe(true);
    expect(isRetryable('PUT', { 'content-length': '0' })).toBe(true);
    expect(isRetryable('PUT', { 'content-length': '5' })).toBe(false);
    expect(isRetryable('DELETE', { 'transfer-encoding': 'chunked' })).toBe(false);
    expect(isRetryable('POST', {})).toBe(false);
    expect(isRetryable('PATCH', {})).toBe(false);
  });
});
