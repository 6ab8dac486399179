import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { GraylaneError } from '@graylane/contracts';

/** Compose project name, so `down` finds what `up` started whatever the folder is called. */
export const COMPOSE_PROJECT = 'graylane';

/**
 * Whether a Docker engine answers. A `docker` client alone is not enough (it exists on machines
 * whose engine is stopped or absent), so this asks the engine itself.
 */
export async function dockerEngineAnswers(timeoutMs = 10_000): Promise<boolean> {
  try {
    const { code } = await runCommand('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs });
    return code === 0;
  } catch {
    return false;
  }
}

/** Whether the `docker compose` plugin is installed (it is a separate package from the client). */
export async function composeAvailable(timeoutMs = 10_000): Promise<boolean> {
  try {
    const { code } = await runCommand('docker', ['compose', 'version'], { timeoutMs });
    return code === 0;
  } catch {
    return false;
  }
}

/** `docker compose -p graylane -f FILE… ARGS…`, streaming output lines to `progress`; throws on failure. */
export async function compose(
  files: readonly string[],
  args: string[],
  env: Record<string, string | undefined>,
  progress: (line: string) => void,
): Promise<void> {
  const full = ['compose', '-p', COMPOSE_PROJECT, ...files.flatMap((file) => ['-f', file]), ...args];
  const { code, lines } = await runCommand('docker', full, { env, onLine: (line) => progress(`  ${line}`) });
  if (code !== 0) {
    throw new GraylaneError('GRAYLANE_UNAVAILABLE', `docker ${full.join(' ')} failed (exit ${code}):\n${lines.slice(-5).join('\n')}`);
  }
}

interface RunOptions {
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  onLine?: (line: string) => void;
}

/** Runs a command to its end; its exit code and its last output lines. */
function runCommand(bin: string, args: string[], options: RunOptions): Promise<{ code: number | null; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
    });
    const lines: string[] = [];
    const collect = (line: string): void => {
      lines.push(line);
      if (lines.length > 50) lines.shift();
      options.onLine?.(line);
    };
    createInterface({ input: child.stdout }).on('line', collect);
    createInterface({ input: child.stderr }).on('line', collect);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, lines }));
  });
}
