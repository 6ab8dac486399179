import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnLogged } from './spawn.js';

/** A process started detached (or supervised) and known by its pid: enough to check on it and stop it. */
export interface ProcessRecord {
  name: string;
  pid: number;
  log: string;
  /**
   * Start time of the process in clock ticks since boot (Linux `/proc/PID/stat` field 22), so a
   * pid reused by an unrelated process after a reboot is never mistaken for ours and never killed.
   */
  startTicks?: number;
  /**
   * `infra` (NATS, Redis, ClickHouse) stops after `app` (services, backends, traffic), so the
   * services can drain to NATS and flush to ClickHouse on their way out.
   */
  tier?: 'infra' | 'app';
}

/** What to start: a binary, its arguments, its environment, and where its output goes. */
export interface DetachedSpec {
  name: string;
  bin: string;
  args: string[];
  env: Record<string, string | undefined>;
  log: string;
  cwd?: string;
  tier: 'infra' | 'app';
}

/**
 * Starts a process in its own process group with stdout and stderr appended to its log file, and
 * lets go of it, so that it outlives the CLI and `down` can stop it and anything it forked.
 */
export function spawnDetached(spec: DetachedSpec): ProcessRecord {
  const child = spawnLogged({ ...spec, detached: true });
  // Without a pid the spawn failed synchronously (ENOENT, EACCES); the error event follows.
  child.on('error', () => undefined);
  if (child.pid === undefined) throw new Error(`cannot start ${spec.bin}`);
  child.unref();
  const startTicks = processStartTicks(child.pid);
  return { name: spec.name, pid: child.pid, log: spec.log, tier: spec.tier, ...(startTicks === undefined ? {} : { startTicks }) };
}

/**
 * Field 22 of `/proc/PID/stat` (start time in ticks since boot), or undefined off Linux or when
 * the process is gone. The command name (field 2) may hold spaces and parentheses, so fields are
 * counted after its last `)`.
 */
export function processStartTicks(pid: number): number | undefined {
  const stat = procStat(pid);
  return stat?.startTicks;
}

interface ProcStat {
  state: string;
  pgrp: number;
  startTicks: number;
}

/** Parses the text of `/proc/PID/stat`. */
export function parseProcStat(text: string): ProcStat | undefined {
  const end = text.lastIndexOf(')');
  if (end < 0) return undefined;
  // After ") ": state(3) ppid(4) pgrp(5) ... starttime(22) → indexes 0, 1, 2 ... 19.
  const fields = text.slice(end + 2).split(' ');
  const state = fields[0];
  const pgrp = Number(fields[2]);
  const startTicks = Number(fields[19]);
  if (state === undefined || !Number.isFinite(pgrp) || !Number.isFinite(startTicks)) return undefined;
  return { state, pgrp, startTicks };
}

function procStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

const HAS_PROC = existsSync('/proc/self/stat');

/**
 * Whether the recorded process still runs. A zombie counts as gone (it only waits to be reaped),
 * and so does a pid now held by another process (its start time differs).
 */
export function isAlive(process_: Pick<ProcessRecord, 'pid' | 'startTicks'>): boolean {
  if (HAS_PROC) {
    const stat = procStat(process_.pid);
    if (stat === undefined || stat.state === 'Z' || stat.state === 'X') return false;
    return process_.startTicks === undefined || stat.startTicks === process_.startTicks;
  }
  try {
    process.kill(process_.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Live (non-zombie) members of the process group `pgid`; on systems without /proc, just the leader. */
export function groupMembers(pgid: number): number[] {
  if (!HAS_PROC) return isAlive({ pid: pgid }) ? [pgid] : [];
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat !== undefined && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') members.push(Number(entry));
  }
  return members;
}

/** Whether anything of this recorded process (itself, or what it forked into its group) runs. */
function anythingLeft(recorded: ProcessRecord): boolean {
  // The group id is the recorded pid only while that pid is ours; a reused pid's group is not.
  const stat = HAS_PROC ? procStat(recorded.pid) : undefined;
  if (recorded.startTicks !== undefined && stat !== undefined && stat.startTicks !== recorded.startTicks) return false;
  return isAlive(recorded) || groupMembers(recorded.pid).length > 0;
}

function signalGroup(recorded: ProcessRecord, signal: NodeJS.Signals): void {
  if (!anythingLeft(recorded)) return;
  try {
    process.kill(-recorded.pid, signal);
  } catch {
    try {
      process.kill(recorded.pid, signal);
    } catch {
      // Already gone between the check and the signal.
    }
  }
}

/** What became of one process on the way down. */
export interface StopResult {
  name: string;
  pid: number;
  /** `stopped` on SIGTERM, `killed` after SIGKILL, `gone` when it was not running, `survived` when nothing worked. */
  outcome: 'stopped' | 'killed' | 'gone' | 'survived';
}

/**
 * Stops processes by process group: SIGTERM, then SIGKILL after `graceMs` for whatever still
 * runs, looking every `pollMs`. Returns what happened to each, in the given order.
 */
export async function stopProcesses(processes: ProcessRecord[], graceMs = 5000, pollMs = 100): Promise<StopResult[]> {
  const results = new Map<ProcessRecord, StopResult['outcome']>();
  const running = processes.filter((p) => {
    const left = anythingLeft(p);
    if (!left) results.set(p, 'gone');
    return left;
  });
  for (const p of running) signalGroup(p, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && running.some(anythingLeft)) await sleep(pollMs);
  const stubborn = running.filter(anythingLeft);
  for (const p of running) if (!stubborn.includes(p)) results.set(p, 'stopped');
  const killed = await killProcesses(stubborn, Math.min(pollMs, KILL_POLL_MS));
  stubborn.forEach((p, i) => results.set(p, killed[i] ?? 'survived'));
  return processes.map((p) => ({ name: p.name, pid: p.pid, outcome: results.get(p) ?? 'gone' }));
}

const KILL_WAIT_MS = 2000;
const KILL_POLL_MS = 50;

/**
 * SIGKILL to each process group, as a crash would (no clean shutdown), then waits up to 2 s
 * for them to be gone. `killed` or `survived` for each, in the given order.
 */
export async function killProcesses(processes: ProcessRecord[], pollMs = KILL_POLL_MS): Promise<Array<'killed' | 'survived'>> {
  for (const p of processes) signalGroup(p, 'SIGKILL');
  const deadline = Date.now() + KILL_WAIT_MS;
  while (Date.now() < deadline && processes.some(anythingLeft)) await sleep(pollMs);
  return processes.map((p) => (anythingLeft(p) ? 'survived' : 'killed'));
}

/**
 * Stops a stack in two waves: the app tier (traffic, proxy, backends, services), then the
 * servers, so the services can drain to NATS and flush to ClickHouse while those still run.
 * Results come newest process first.
 */
export async function stopStack(processes: ProcessRecord[], graceMs = 5000): Promise<StopResult[]> {
  const reversed = [...processes].reverse();
  const apps = await stopProcesses(reversed.filter((p) => p.tier !== 'infra'), graceMs);
  const servers = await stopProcesses(reversed.filter((p) => p.tier === 'infra'), graceMs);
  return [...apps, ...servers];
}
