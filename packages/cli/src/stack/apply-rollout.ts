import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GraylaneError, type RolloutSpecV1 } from '@graylane/contracts';
import type { NatsAuth } from '@graylane/runtime';
import { ControlPlaneClient } from '../control-plane-client.js';
import { demoRolloutYaml } from './demo-spec.js';
import type { Launcher } from './launcher.js';

/** Where `up` writes the demo rollout it applies, for the user to edit and re-apply. */
export function demoSpecPath(home: string): string {
  return join(home, 'demo-rollout.yaml');
}

/**
 * Writes the rollout to `<home>/demo-rollout.yaml` and applies it through the config service,
 * as `graylane apply -f` would; returns the config version it got.
 */
export async function applyRollout(launcher: Launcher, home: string, natsUrl: string, spec: RolloutSpecV1, auth?: NatsAuth): Promise<number> {
  const file = demoSpecPath(home);
  writeFileSync(file, demoRolloutYaml(spec));
  const canary = `${spec.spec.traffic.weight} % of users to ${spec.spec.canary.name}`;
  return launcher.step(
    `applying rollout ${spec.metadata.name} (${canary}) from ${file}`,
    () => applyWithRetry(natsUrl, spec, auth),
    (version) => `config version ${version}`,
  );
}

async function applyWithRetry(natsUrl: string, spec: RolloutSpecV1, auth: NatsAuth | undefined): Promise<number> {
  // The config service answered /readyz, but its NATS subscription may lag a moment behind.
  for (let attempt = 1; ; attempt += 1) {
    try {
      const client = await ControlPlaneClient.connect(natsUrl, auth);
      try {
        // On a closed bus the operator's identity is the actor; an open one takes the body's word.
        const actor = auth === undefined ? { actor: 'graylane-up' } : {};
        const reply = await client.command('apply', { spec, ...actor, reason: 'demo stack started by graylane up' });
        return reply.version;
      } finally {
        await client.close();
      }
    } catch (error) {
      if (!(error instanceof GraylaneError) || !error.retryable || attempt >= 5) throw error;
      await sleep(500 * attempt);
    }
  }
}
