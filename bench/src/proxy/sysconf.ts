import { execFileSync } from 'node:child_process';

/** Clock ticks per second of /proc times (almost always 100). */
function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

export const sysconf = { clockTicks: clockTicks() };
