import { describe, expect, it } from 'vitest';
import { ConfigError, natsUrlFrom, portFrom, positiveIntFrom } from './env.js';

describe('env', () => {
  it('uses the default when unset', () => {
    expect(portFrom({}, 'PORT', 8080)).toBe(8080);
    expect(natsUrlFrom({})).toBe('nats://127.0.0.1:4222');
  });

  it('names the variable and the value when malformed', () => {
    expect(() => portFrom({ PORT: 'eighty' }, 'PORT', 8080)).toThrow(ConfigError);
    expect(() => portFrom({ PORT: '70000' }, 'PORT', 8080)).toThrow('PORT: expected a port number 0-65535, got "70000"');
    expect(() => natsUrlFrom({ GRAYLANE_NATS_URL: 'http://x:1' })).toThrow(/GRAYLANE_NATS_URL: expected a nats/);
    expect(() => positiveIntFrom({ N: '-3' }, 'N', 1)).toThrow('N: expected a positive integer, got "-3"');
  });
});
