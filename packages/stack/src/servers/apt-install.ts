import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { GraylaneError } from '@graylane/contracts';

/** Debian/Ubuntu packages that provide the servers a local stack runs. */
export const SERVER_PACKAGES = ['nats-server', 'redis-server', 'clickhouse-server'] as const;

/** Whether this process may install packages itself: root on a system with apt-get. */
export function canAptInstall(): boolean {
  return process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
}

/**
 * `apt-get update`, then `apt-get install -y` of `packages`, passing each output line to
 * `progress` so a slow mirror does not look like a hang.
 */
export async function aptInstall(packages: readonly string[], progress: (line: string) => void): Promise<void> {
  await run(['update'], progress);
  await run(['install', '-y', '--no-install-recommends', ...packages], progress);
}

async function run(args: string[], progress: (line: string) => void): Promise<void> {
  progress(`apt-get ${args.join(' ')}`);
  const child = spawn('apt-get', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  const lines: string[] = [];
  const forward = (line: string): void => {
    lines.push(line);
    if (lines.length > 20) lines.shift();
    if (line.trim() !== '') progress(`  ${line}`);
  };
  createInterface({ input: child.stdout }).on('line', forward);
  createInterface({ input: child.stderr }).on('line', forward);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) {
    throw new GraylaneError(
      'GRAYLANE_UNAVAILABLE',
      `apt-get ${args[0] ?? ''} failed (exit ${code}); install ${SERVER_PACKAGES.join(', ')} yourself:\n${lines.slice(-5).join('\n')}`,
    );
  }
}
