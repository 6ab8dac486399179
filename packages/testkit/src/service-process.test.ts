import { describe, expect, it } from 'vitest';
import { serviceLogs, startService } from './service-process.js';
import { eventually } from './wait-until-ready.js';

const FIXTURE = 'packages/testkit/src/service-process.fixture.mjs';

describe('startService', () => {
  it('runs a script of the repository with the test defaults under the given env, keeps its output, and stops it', async () => {
    const service = startService('fixture', FIXTURE, { FIXTURE_WORD: 'hello', LOG_LEVEL: 'info' });
    try {
      await eventually('both lines of output', 10_000, async () => (service.output().includes('a line on stderr') ? true : undefined));
      expect(service.output()).toContain('word=hello log=info workers=1');
      expect(serviceLogs([service])).toBe(`--- fixture\n${service.output()}`);
    } finally {
      await service.stop();
    }
    expect(service.child.exitCode).toBe(0);
    await service.stop();
  });
});
