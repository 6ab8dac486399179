import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** One process to start with its output going to a file. */
export interface LoggedSpawn {
  bin: string;
  args: readonly string[];
  /** stdout and stderr are appended here (parents created): a restart adds to what ran before. */
  log: string;
  /** The whole environment; this process's own when absent. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /**
   * In a process group of its own: it outlives this process, a terminal's Ctrl-C does not reach
   * it, and stopping the group stops whatever it forked.
   */
  detached?: boolean;
}

/**
 * Writes the files a server reads before it starts (absolute path → content), creating their
 * folders. Mode 0600, also over an existing file: a server config may hold passwords (a closed
 * NATS).
 */
export function writeServerFiles(files: Readonly<Record<string, string>>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content, { mode: 0o600 });
    chmodSync(path, 0o600);
  }
}

/**
 * Spawns a process whose stdout and stderr go to `spec.log`. A file rather than a pipe, so a
 * chatty process never blocks on a full pipe and its output stays readable after a failure.
 * A failed spawn shows as the child's `error` event (and no pid); the caller listens for it.
 */
export function spawnLogged(spec: LoggedSpawn): ChildProcess {
  mkdirSync(dirname(spec.log), { recursive: true });
  const fd = openSync(spec.log, 'a');
  try {
    return spawn(spec.bin, [...spec.args], {
      stdio: ['ignore', fd, fd],
      ...(spec.detached === true ? { detached: true } : {}),
      ...(spec.env === undefined ? {} : { env: spec.env }),
      ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
    });
  } finally {
    closeSync(fd);
  }
}
