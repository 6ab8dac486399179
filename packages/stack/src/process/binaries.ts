import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** The Debian package that ships each binary, so a missing one names its install command. */
const APT_PACKAGES: Readonly<Record<string, string>> = {
  'nats-server': 'nats-server',
  'redis-server': 'redis-server',
  'redis-cli': 'redis-tools',
  'clickhouse-server': 'clickhouse-server',
  'clickhouse-client': 'clickhouse-client',
};

// Debian puts nats-server and clickhouse-server in /usr/sbin, which a non-login PATH may lack.
const FALLBACK_DIRS = ['/usr/sbin', '/usr/bin'];

/**
 * The absolute path of an executable, looked up on PATH, then in /usr/sbin and /usr/bin.
 * Throws an Error that names the apt package to install when it is nowhere.
 */
export function findBinary(name: string): string {
  const pathDirs = (process.env.PATH ?? '').split(delimiter).filter((dir) => isAbsolute(dir));
  for (const dir of [...pathDirs, ...FALLBACK_DIRS]) {
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  const apt = APT_PACKAGES[name] ?? name;
  throw new Error(
    `${name} was not found on PATH or in ${FALLBACK_DIRS.join(', ')}; install it with: apt-get install -y ${apt}`,
  );
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
