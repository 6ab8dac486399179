import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GraylaneError, type RolloutSpecV1 } from '@graylane/contracts';
import type { NatsAuth } from '@graylane/runtime';
import { demoRolloutYaml } from './demo-spec.js';
import type { Launcher } from './launcher.js';

/**
 * One try at sending a rollout to the config service on `natsUrl` (as `auth`, or anonymously on
 * an open bus); returns the config version it got. The caller's own command client does it (the
 * CLI's), so this package holds none; a retryable GraylaneError is tried again.
 */
export type ApplyRollout = (natsUrl: string, spec: RolloutSpecV1, auth: NatsAuth | undefined) => Promise<number>;

/** Where `up` writes the demo rollout it applies, for the user to edit and re-apply. */
export function demoSpecPath(home: string): string {
  return join(home, 'demo-rollout.yaml');
}

/**
 * Writes the rollout to `<home>/demo-rollout.yaml` and applies it with `apply`, as
 * `graylane apply -f` would; returns the config version it got.
 */
export async function applyRollout(
  launcher: Launcher,
  apply: ApplyRollout,
  home: string,
  natsUrl: string,
  spec: RolloutSpecV1,
  auth?: NatsAuth,
): Promise<number> {
  const file = demoSpecPath(home);
  writeFileSync(file, demoRolloutYaml(spec));
  const canary = `${spec.spec.traffic.weight} % of users to ${spec.spec.canary.name}`;
  return launcher.step(
    `applying rollout ${spec.metadata.name} (${canary}) from ${file}`,
    () => applyWithRetry(apply, natsUrl, spec, auth),
    (version) => `config version ${version}`,
  );
}

async function applyWithRetry(apply: ApplyRollout, natsUrl: string, spec: RolloutSpecV1, auth: NatsAuth | undefined): Promise<number> {
  // The config service answered /readyz, but its NATS subscription may lag a moment behind.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await apply(natsUrl, spec, auth);
    } catch (error) {
      if (!(error instanceof GraylaneError) || !error.retryable || attempt >= 5) throw error;
      await sleep(500 * attempt);
    }
  }
}
