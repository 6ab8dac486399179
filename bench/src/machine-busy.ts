import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/** Above this share of all CPUs busy before a run, its figures are not a quiet machine's. */
const QUIET_BUSY_SHARE = 0.1;

/** Busy and total CPU time of the whole machine so far (clock ticks), from /proc/stat's first line. */
function machineCpuTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  // cpu user nice system idle iowait irq softirq steal …
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((sum, n) => sum + n, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: total - idle, total };
}

/**
 * Says how busy the machine is while the bench itself does nothing: the share of all CPUs in use
 * over `ms`, and the one-minute load average. A benchmark's ratios are only worth comparing on a
 * quiet machine, so each run states whether it had one instead of leaving it to memory.
 */
export async function describeMachineBefore(ms = 2_000): Promise<string> {
  const before = machineCpuTicks();
  await sleep(ms);
  const after = machineCpuTicks();
  const share = (after.busy - before.busy) / Math.max(1, after.total - before.total);
  const facts = `${(share * 100).toFixed(0)} % of ${availableParallelism()} CPUs busy over ${ms / 1000} s before the run, load average ${(loadavg()[0] ?? 0).toFixed(2)}`;
  return share <= QUIET_BUSY_SHARE
    ? `Machine: ${facts} (quiet: at most ${QUIET_BUSY_SHARE * 100} %).`
    : `Machine: ${facts}. Not quiet (more than ${QUIET_BUSY_SHARE * 100} %): something else is running, so the figures below are noisier than a quiet machine's.`;
}
