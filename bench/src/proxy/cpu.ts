import { readFileSync } from 'node:fs';
import { sysconf } from './sysconf.js';

/** CPU time (user + system, ms) used so far by `pid` and its direct children (nginx workers). */
export function cpuMsOf(pid: number): number {
  let total = ownCpuMs(pid);
  for (const child of childrenOf(pid)) total += ownCpuMs(child);
  return total;
}

function ownCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / sysconf.clockTicks;
  } catch {
    return 0;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
