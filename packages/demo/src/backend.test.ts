import { describe, expect, it } from 'vitest';
import { applySettings, DEFAULT_SETTINGS } from './backend.js';

describe('demo backend settings', () => {
  it('applies a valid patch', () => {
    const settings = { ...DEFAULT_SETTINGS };
    expect(applySettings(settings, '{"latencyMs": 50, "errorRate": 0.1}')).toBeUndefined();
    expect(settings).toMatchObject({ latencyMs: 50, errorRate: 0.1 });
  });

  it('rejects bad input and changes nothing', () => {
    const settings = { ...DEFAULT_SETTINGS };
    expect(applySettings(settings, '{"errorRate": 2}')).toMatch(/errorRate must be a number from 0 to 1/);
    expect(applySettings(settings, '{"speed": 1}')).toMatch(/unknown setting "speed"/);
    expect(applySettings(settings, 'nope')).toMatch(/must be JSON/);
    expect(settings).toEqual(DEFAULT_SETTINGS);
  });
});
