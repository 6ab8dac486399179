import { describe, expect, it } from 'vitest';
import { hostWithoutPort } from './request-facts.js';

describe('hostWithoutPort', () => {
  it.each([
    ['Shop.Example.com:8080', 'shop.example.com'],
    ['shop.example.com', 'shop.example.com'],
    ['[::1]:8080', '[::1]'],
    ['', ''],
  ])('%s → %s', (host, expected) => {
    expect(hostWithoutPort(host)).toBe(expected);
  });
});
