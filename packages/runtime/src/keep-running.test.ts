import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { keepRunning } from './keep-running.js';

describe('keepRunning', () => {
  it('restarts a task that ends or throws, until stopped', async () => {
    let runs = 0;
    await keepRunning(
      'test task',
      async () => {
        runs += 1;
        if (runs === 2) throw new Error('boom');
      },
      { logger: pino({ level: 'silent' }), stopped: () => runs >= 3, backoffMs: 1 },
    );
    expect(runs).toBe(3);
  });
});
