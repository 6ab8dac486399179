import { join } from 'node:path';
import { GraylaneError } from '@graylane/contracts';
import type { Env } from '@graylane/runtime';
import { waitForHttp, waitForTcp } from '../process/ports.js';
import { applyRollout, type ApplyRollout } from './apply-rollout.js';
import { demoRolloutSpec } from './demo-spec.js';
import { compose } from './docker.js';
import type { Launcher } from './launcher.js';
import { portVariable, type PortName, type StackPorts } from './ports.js';
import { composeSecretsEnv, operatorAuth, type StackSecretsRef } from './secrets.js';

const READY_MS = 180_000;

/**
 * The compose files `up` runs in docker mode: the production stack and the demo override (demo
 * backends, traffic, and the loopback ports this CLI talks to).
 */
export function composeFiles(root: string): string[] {
  return [join(root, 'infra', 'compose', 'compose.yaml'), join(root, 'infra', 'compose', 'compose.demo.yaml')];
}

/**
 * The environment for `docker compose`: the host port of each piece under the same
 * `GRAYLANE_UP_<NAME>_PORT` names that move the local stack, which the compose file reads.
 */
export function composeEnv(env: Env, ports: StackPorts, secrets?: StackSecretsRef): Record<string, string | undefined> {
  const byName = Object.fromEntries((Object.keys(ports) as PortName[]).map((name) => [portVariable(name), String(ports[name])]));
  // compose.yaml publishes the proxy's data port as GRAYLANE_PUBLISH_PORT (on 127.0.0.1 by default).
  const publish = { GRAYLANE_PUBLISH_PORT: String(ports.proxy) };
  return { ...env, ...byName, ...publish, ...(secrets === undefined ? {} : composeSecretsEnv(secrets)) };
}

/**
 * Brings the stack up with `docker compose up -d --build`, then applies the demo rollout (whose
 * upstreams are the backend containers) and waits for the proxy to hold it.
 */
export async function startDockerStack(
  launcher: Launcher,
  plan: { env: Env; home: string; root: string; ports: StackPorts; traffic: boolean; apply: ApplyRollout },
): Promise<void> {
  const files = composeFiles(plan.root);
  const { ports } = plan;
  const profile = plan.traffic ? ['--profile', 'traffic'] : [];
  await launcher.step('docker compose up (builds the images on first run)', () =>
    compose(files, [...profile, 'up', '-d', '--build'], composeEnv(plan.env, ports, launcher.state.secrets), launcher.progress),
  );
  await launcher.step(`waiting for nats on ${ports.nats}`, () => expectReady(`NATS on port ${ports.nats}`, waitForTcp(ports.nats, READY_MS)));
  for (const service of ['config', 'analytics'] as const) {
    await launcher.step(`waiting for ${service} on ${ports[service]}`, () =>
      expectReady(service, waitForHttp(`http://127.0.0.1:${ports[service]}/readyz`, READY_MS)),
    );
  }
  // Inside the compose network the proxy reaches the backends by service name.
  await applyRollout(
    launcher,
    plan.apply,
    plan.home,
    launcher.state.natsUrl,
    demoRolloutSpec('http://backend-v1:9001', 'http://backend-v2:9002'),
    operatorAuth(launcher.state.secrets),
  );
  await launcher.step(`waiting for proxy on ${ports.proxy} (admin ${ports.proxyAdmin})`, () =>
    expectReady('proxy', waitForHttp(`http://127.0.0.1:${ports.proxyAdmin}/readyz`, READY_MS)),
  );
}

async function expectReady(what: string, ready: Promise<unknown>): Promise<void> {
  try {
    await ready;
  } catch (error) {
    throw new GraylaneError(
      'GRAYLANE_UNAVAILABLE',
      `${what} did not become ready: ${(error as Error).message}; see docker compose -p graylane logs`,
      { cause: error },
    );
  }
}
