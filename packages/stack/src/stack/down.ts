import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Env } from '@graylane/runtime';
import { isAlive, stopStack, type StopResult } from '../process/processes.js';
import { compose } from './docker.js';
import type { Progress } from './launcher.js';
import { composeSecretsEnv } from './secrets.js';
import { readState, removeState, type StackState } from './state.js';

/** What `graylane down` did. */
export type DownResult =
  | { status: 'not-running' }
  | { status: 'stopped'; mode: StackState['mode']; stopped: StopResult[]; survivors: StopResult[] };

/**
 * Stops everything the state file lists (SIGTERM to each process group, SIGKILL after 5 s), or
 * `docker compose down` in docker mode; forgets the state but keeps data and logs. Safe to run
 * again: with no state it reports that nothing is running.
 */
export async function down(env: Env, progress: Progress): Promise<DownResult> {
  let state = readState(env);
  if (state === undefined) return { status: 'not-running' };
  const starting = state.startingPid;
  if (starting !== undefined && starting !== process.pid && isAlive({ pid: starting })) {
    // An `up` still at work would start more after we stopped what is there. Interrupted, it
    // stops what it started itself; whatever it leaves is stopped below.
    progress(`interrupting graylane up (pid ${starting}), which is still starting the stack`);
    process.kill(starting, 'SIGTERM');
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && isAlive({ pid: starting })) await sleep(100);
    state = readState(env);
    if (state === undefined) return { status: 'stopped', mode: 'local', stopped: [], survivors: [] };
  }
  const files = state.composeFiles ?? (state.composeFile === undefined ? undefined : [state.composeFile]);
  if (state.mode === 'docker' && files !== undefined) {
    progress('docker compose down (volumes are kept)');
    // Compose reads the whole file, whose required passwords live in the secrets folder.
    const secrets = state.secrets !== undefined && existsSync(state.secrets.dir) ? composeSecretsEnv(state.secrets) : {};
    await compose(files, ['--profile', 'traffic', 'down'], { ...env, ...secrets }, progress);
  }
  const stopped = await stopStack(state.processes);
  for (const result of stopped) progress(`${result.name} (pid ${result.pid}): ${describe(result.outcome)}`);
  const survivors = stopped.filter((result) => result.outcome === 'survived');
  // Keep the state while something survives, so another `down` (or the user) can still find it.
  if (survivors.length === 0) removeState(env);
  return { status: 'stopped', mode: state.mode, stopped, survivors };
}

function describe(outcome: StopResult['outcome']): string {
  switch (outcome) {
    case 'stopped':
      return 'stopped';
    case 'killed':
      return 'killed (did not stop within 5 s of SIGTERM)';
    case 'gone':
      return 'was not running';
    case 'survived':
      return 'STILL RUNNING after SIGKILL';
  }
}
