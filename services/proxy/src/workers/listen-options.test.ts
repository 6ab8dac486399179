import { describe, expect, it } from 'vitest';
import { dataPlaneListenOptions, supportsReusePort } from './listen-options.js';

describe('supportsReusePort', () => {
  it('is true on Linux from Node 22.12 and 23.1 on, false before and elsewhere', () => {
    expect(supportsReusePort('20.20.2', 'linux')).toBe(false);
    expect(supportsReusePort('22.11.0', 'linux')).toBe(false);
    expect(supportsReusePort('22.12.0', 'linux')).toBe(true);
    expect(supportsReusePort('23.0.0', 'linux')).toBe(false);
    expect(supportsReusePort('23.1.0', 'linux')).toBe(true);
    expect(supportsReusePort('26.12.1', 'linux')).toBe(true);
    expect(supportsReusePort('26.12.1', 'darwin')).toBe(false);
  });

  it('gives each worker its own socket only with reusePort', () => {
    expect(dataPlaneListenOptions(8080, '0.0.0.0', true)).toEqual({ port: 8080, host: '0.0.0.0', reusePort: true, exclusive: true });
    expect(dataPlaneListenOptions(8080, '0.0.0.0', false)).toEqual({ port: 8080, host: '0.0.0.0' });
  });
});
