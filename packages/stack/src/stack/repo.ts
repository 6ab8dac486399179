import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { GraylaneError } from '@graylane/contracts';

/**
 * The monorepo this package was built in, found from this file's own place (src/stack or
 * dist/stack of packages/stack), so `graylane up` works from any working directory.
 */
export function repoRoot(): string {
  return resolve(import.meta.dirname, '..', '..', '..', '..');
}

/** The entry files `graylane up` runs, by the name shown to the user. */
export function entryPoints(root: string): Record<'config' | 'analytics' | 'proxy' | 'backend' | 'traffic', string> {
  return {
    config: join(root, 'services', 'config', 'dist', 'main.js'),
    analytics: join(root, 'services', 'analytics', 'dist', 'main.js'),
    proxy: join(root, 'services', 'proxy', 'dist', 'main.js'),
    backend: join(root, 'packages', 'demo', 'dist', 'backend-main.js'),
    traffic: join(root, 'packages', 'demo', 'dist', 'traffic-main.js'),
  };
}

/** Fails with "run pnpm build first" when any entry file is missing. */
export function requireBuilt(root: string): void {
  const missing = Object.values(entryPoints(root)).filter((path) => !existsSync(path));
  if (missing.length > 0) {
    throw new GraylaneError(
      'GRAYLANE_UNAVAILABLE',
      `${missing.map((path) => relative(root, path)).join(', ')} missing: run pnpm build first (in ${root})`,
    );
  }
}
