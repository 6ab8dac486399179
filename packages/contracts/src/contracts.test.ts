import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraylaneError, parseDuration, parseWith, RolloutSpecV1, WeightCommandV1 } from './index.js';
import { renderJsonSchemas } from './render-json-schemas.js';

const spec = {
  apiVersion: 'graylane.dev/v1',
  kind: 'Rollout',
  metadata: { name: 'checkout' },
  spec: {
    match: { pathPrefix: '/checkout' },
    stable: { name: 'v1', upstreams: ['http://127.0.0.1:9001'] },
    canary: { name: 'v2', upstreams: ['http://127.0.0.1:9002'] },
    traffic: { weight: 10 },
  },
};

describe('contracts', () => {
  it('accepts the documented rollout spec', () => {
    expect(parseWith(RolloutSpecV1, spec, 'rollout spec').metadata.name).toBe('checkout');
  });

  it('names the missing field', () => {
    const { canary: _dropped, ...withoutCanary } = spec.spec;
    const broken = { ...spec, spec: withoutCanary };
    expect(() => parseWith(RolloutSpecV1, broken, 'rollout spec')).toThrow(/\/spec\/canary: is required/);
  });

  it.each([101, -1])('rejects weight %s with a field and the value', (weight) => {
    try {
      parseWith(WeightCommandV1, { name: 'checkout', weight }, 'weight command');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(GraylaneError);
      expect((error as GraylaneError).code).toBe('GRAYLANE_VALIDATION');
      expect((error as GraylaneError).field).toBe('/weight');
      expect((error as Error).message).toContain(`got ${weight}`);
    }
  });

  it('parses durations and rejects nonsense', () => {
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(() => parseDuration('soon')).toThrow(/invalid duration "soon"/);
  });

  it('keeps the written JSON Schema files in step with the types', () => {
    for (const [file, text] of Object.entries(renderJsonSchemas())) {
      const written = readFileSync(join(import.meta.dirname, '..', 'schemas', file), 'utf8');
      expect(written, `${file} is stale: run pnpm --filter @graylane/contracts schemas`).toBe(text);
    }
  });
});
