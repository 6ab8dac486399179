import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/** Above this share of all CPUs busy before a run, its figures are not a quiet machine's. */
const QUIET_BUSY_SHARE = 0.1;

/**
 * Above this share of a CPU's time taken by the hypervisor during a phase, the phase's p99 says
 * as much about the host's other guests as about the subjects: a p99 is the worst 1 % of requests.
 */
const QUIET_STEAL_SHARE = 0.01;

/** The first eight counts of a /proc/stat `cpu` or `cpuN` line: user nice system idle iowait irq softirq steal (clock ticks). */
function ticksOf(line: string): number[] {
  return line.trim().split(/\s+/).slice(1, 9).map(Number);
}

/** Busy and total CPU time of the whole machine so far (clock ticks), from /proc/stat's first line. */
function machineCpuTicks(): { busy: number; total: number } {
  const ticks = ticksOf(readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '');
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

/** Clock ticks of each CPU (`cpu0`, `cpu1`, …) so far: all of them, and those the hypervisor gave to other guests. */
export type CpuTicks = ReadonlyMap<string, { steal: number; total: number }>;

export function cpuTicksNow(): CpuTicks {
  const ticks = new Map<string, { steal: number; total: number }>();
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    if (!/^cpu\d/.test(line)) continue;
    const counts = ticksOf(line);
    ticks.set(line.slice(0, line.indexOf(' ')), { steal: counts[7] ?? 0, total: counts.reduce((sum, n) => sum + n, 0) });
  }
  return ticks;
}

/**
 * Says how much of each CPU's time the hypervisor took between `from` and now ("steal"): on a
 * virtual machine whose host is busy with other guests, the bench's processes wait for a CPU in
 * bursts no load average or `uptime` shows, and those waits land in the p99 of every subject.
 */
export function describeSteal(phase: string, from: CpuTicks): string {
  const to = cpuTicksNow();
  const shares = [...to].map(([name, now]) => {
    const before = from.get(name) ?? { steal: 0, total: 0 };
    return { name, share: (now.steal - before.steal) / Math.max(1, now.total - before.total) };
  });
  const facts = shares.map(({ name, share }) => `${name.replace('cpu', 'CPU ')} ${(share * 100).toFixed(1)} %`).join(', ');
  const quiet = shares.every(({ share }) => share <= QUIET_STEAL_SHARE);
  return quiet
    ? `Steal during ${phase} (CPU time the host gave other guests): ${facts} (quiet: at most ${QUIET_STEAL_SHARE * 100} % each).`
    : `Steal during ${phase} (CPU time the host gave other guests): ${facts}. Contended (more than ${QUIET_STEAL_SHARE * 100} % on a CPU): ` +
        'the host made these processes wait, so the p99 figures of this phase are noisier than a quiet host\'s.';
}
