import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Env } from '@graylane/runtime';

/** A process `graylane up` started and `graylane down` stops. */
export interface StackProcess {
  name: string;
  pid: number;
  log: string;
}

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
  return JSON.parse(readFileSync(path, 'utf8')) as StackState;
}
