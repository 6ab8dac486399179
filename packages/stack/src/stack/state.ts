import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { GraylaneError } from '@graylane/contracts';
import type { Env } from '@graylane/runtime';
import type { ProcessRecord } from '../process/processes.js';
import type { StackSecretsRef } from './secrets.js';

/** A process `graylane up` started and `graylane down` stops. */
export type StackProcess = ProcessRecord;

/** What `graylane up` brought up, so later commands find it and `down` can stop it. */
export interface StackState {
  mode: 'docker' | 'local';
  startedAt: string;
  natsUrl: string;
  redisUrl: string;
  clickhouseUrl: string;
  /** Addresses to show the user: proxy, config API, analytics, dashboards. */
  endpoints: Record<string, string>;
  processes: StackProcess[];
  /** Readiness URLs per service (`/readyz`), checked by `graylane status`. */
  readiness?: Record<string, string>;
  /** In docker mode: the compose files `down` hands to `docker compose down`. */
  composeFiles?: string[];
  /** The one compose file of a stack started by an older graylane (infra/docker-compose.yml). */
  composeFile?: string;
  /** Where the stack's generated secrets are and which operator the CLI acts as (never the secrets). */
  secrets?: StackSecretsRef;
  /** Pid of the `graylane up` still bringing this stack up; absent once it is up. */
  startingPid?: number;
}

/** Where `graylane up` keeps its state, data and logs: `GRAYLANE_HOME`, default `~/.graylane`. */
export function stackHome(env: Env): string {
  return env.GRAYLANE_HOME !== undefined && env.GRAYLANE_HOME !== '' ? env.GRAYLANE_HOME : join(homedir(), '.graylane');
}

export function statePath(env: Env): string {
  return join(stackHome(env), 'state.json');
}

/** The state of a running stack, or undefined when none was brought up. */
export function readState(env: Env): StackState | undefined {
  const path = statePath(env);
  if (!existsSync(path)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new GraylaneError('GRAYLANE_INTERNAL', `${path} is not valid JSON (${(error as Error).message}); remove it, then run graylane up`, {
      cause: error,
    });
  }
  if (!isStackState(value)) {
    throw new GraylaneError('GRAYLANE_INTERNAL', `${path} is not a graylane stack state; remove it, then run graylane up`);
  }
  return value;
}

/**
 * Writes the state atomically (temp file + rename), so a reader never sees half a file even when
 * `up` is interrupted while recording a process.
 */
export function writeState(env: Env, state: StackState): void {
  const path = statePath(env);
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temp, path);
}

/**
 * Claims the state file for a new stack; false when another one exists (a running stack, or an
 * `up` in progress). The exclusive create is what keeps two concurrent `up`s from both starting.
 */
export function claimState(env: Env, state: StackState): boolean {
  const path = statePath(env);
  mkdirSync(dirname(path), { recursive: true });
  try {
    writeFileSync(path, `${JSON.stringify(state, null, 2)}\n`, { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Forgets the stack; data and logs stay. */
export function removeState(env: Env): void {
  rmSync(statePath(env), { force: true });
}

function isStackState(value: unknown): value is StackState {
  if (value === null || typeof value !== 'object') return false;
  const state = value as Partial<StackState>;
  return (
    (state.mode === 'local' || state.mode === 'docker') &&
    typeof state.natsUrl === 'string' &&
    Array.isArray(state.processes) &&
    state.processes.every((p) => typeof p === 'object' && p !== null && typeof p.pid === 'number' && typeof p.name === 'string')
  );
}
