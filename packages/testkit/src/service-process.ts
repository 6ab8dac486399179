// A graylane service (or any built script of the repository) as its own process, the way
// operators run it: `node services/<name>/dist/main.js` with its settings in the environment.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** The repository root, from this file's place in packages/testkit/src or packages/testkit/dist. */
export const REPO_ROOT = join(import.meta.dirname, '..', '..', '..');

/** How much of a service's output is kept to explain a failure. */
const OUTPUT_TAIL_CHARS = 20_000;
/** How long a service has to exit after SIGTERM before it is killed. */
const STOP_GRACE_MS = 5_000;

/** A service process started from its built script, with the tail of its output kept for failures. */
export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** The last {@link OUTPUT_TAIL_CHARS} characters of stdout and stderr together. */
  output(): string;
  /** SIGTERM, SIGKILL if still running after a few seconds; resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts `node <script>` (a path from the repository root, e.g. `services/proxy/dist/main.js`)
 * with `env` added to this process's environment. Logs at `warn` and one proxy process unless
 * `env` says otherwise: tests count proxies, heartbeats and metrics per process.
 */
export function startService(name: string, script: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, [join(REPO_ROOT, script)], {
    env: { ...process.env, LOG_LEVEL: 'warn', GRAYLANE_PROXY_WORKERS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (chunk: Buffer): void => {
    log = (log + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return {
    name,
    child,
    output: () => log,
    stop: () => stopProcess(child),
  };
}

/** The output of every service, each under its name, for a failure message. */
export function serviceLogs(services: readonly ServiceProcess[]): string {
  return services.map((s) => `--- ${s.name}\n${s.output()}`).join('\n');
}

/** SIGTERM, then SIGKILL after {@link STOP_GRACE_MS}; resolves once `child` has exited (at once if it has). */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}
