import { setTimeout as sleep } from 'node:timers/promises';
import { GraylaneError, parseDuration, type ProxyStatusV1 } from '@graylane/contracts';
import type { CliArgs } from '../args.js';
import type { ControlPlaneClient } from '../control-plane-client.js';
import type { Output } from '../output.js';

/** How often `--wait` asks the config service for the proxies' versions. */
const POLL_MS = 50;

/** Where the proxies stand against a version. */
export interface Convergence {
  version: number;
  proxies: ProxyStatusV1[];
  behind: ProxyStatusV1[];
  waitedMs: number;
}

/**
 * Waits until every live proxy (as the config service hears their heartbeats) runs `version` or
 * a newer one. Proxies beat at once after each swap, so this usually returns within
 * milliseconds; it fails with GRAYLANE_UNAVAILABLE naming the proxies still behind at the timeout.
 */
export async function waitForVersion(client: ControlPlaneClient, version: number, timeoutMs: number): Promise<Convergence> {
  const started = Date.now();
  for (;;) {
    const { proxies = [] } = await client.command('status', {});
    const behind = proxies.filter((p) => p.configVersion < version);
    const waitedMs = Date.now() - started;
    if (behind.length === 0) return { version, proxies, behind, waitedMs };
    if (waitedMs >= timeoutMs) {
      const names = behind.map((p) => `${p.proxyId}@${p.configVersion}`).join(', ');
      throw new GraylaneError(
        'GRAYLANE_UNAVAILABLE',
        `${behind.length} of ${proxies.length} live proxies still run an older version than ${version} after ${timeoutMs} ms: ${names}`,
      );
    }
    await sleep(POLL_MS);
  }
}

/** With `--wait`, waits for `version` and says so; without it, does nothing. */
export async function waitIfAsked(client: ControlPlaneClient, args: CliArgs, version: number, output: Output): Promise<void> {
  if (!args.wait) return;
  let timeoutMs: number;
  try {
    timeoutMs = parseDuration(args.timeout);
  } catch (error) {
    throw new GraylaneError('GRAYLANE_VALIDATION', `--timeout: ${(error as Error).message}`, { field: '--timeout' });
  }
  const done = await waitForVersion(client, version, timeoutMs);
  if (args.json) return;
  output.out(
    done.proxies.length === 0
      ? `no live proxies heard; nothing to wait for`
      : `all ${done.proxies.length} live proxies run config version ${version} or newer (waited ${done.waitedMs} ms)`,
  );
}
