import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '@nats-io/transport-node';
import { PROXY_HEARTBEAT_SUBJECT, ProxyHeartbeatV1, validationIssues } from '@graylane/contracts';
import { decodeJson, natsConnectionOptions, redactNatsUrl, type Env, type NatsAuth } from '@graylane/runtime';
import { isAlive } from '../process/processes.js';
import { probe } from '../process/readiness.js';
import { operatorAuth } from './secrets.js';
import { readState, stackHome, type StackState } from './state.js';

/** How long `status` listens for proxy heartbeats (proxies beat every 2 s). */
export const HEARTBEAT_LISTEN_MS = 2500;

/** What `graylane status` found. */
export type StatusReport =
  | { running: false; home: string }
  | {
      running: true;
      home: string;
      mode: StackState['mode'];
      startedAt: string;
      /** Pid of the `graylane up` still bringing the stack up, when it is not up yet. */
      startingPid: number | undefined;
      /** True when every process runs and every service is ready. */
      healthy: boolean;
      processes: { name: string; pid: number; alive: boolean; log: string }[];
      services: { name: string; url: string; ready: boolean; detail: string }[];
      /** Proxies heard on NATS, with the config version each applies; empty when NATS is down. */
      proxies: { proxyId: string; configVersion: number; startedAt: string }[];
      natsUrl: string;
      endpoints: Record<string, string>;
    };

/** Reads the state, checks every process and `/readyz`, and listens for proxy heartbeats. */
export async function status(env: Env, listenMs = HEARTBEAT_LISTEN_MS): Promise<StatusReport> {
  const home = stackHome(env);
  const state = readState(env);
  if (state === undefined) return { running: false, home };
  const processes = state.processes.map((p) => ({ name: p.name, pid: p.pid, alive: isAlive(p), log: p.log }));
  const [services, proxies] = await Promise.all([
    Promise.all(
      Object.entries(state.readiness ?? {}).map(async ([name, url]) => ({ name, url, ...(await probe(url)) })),
    ),
    // Without the operator's password (deleted by hand) status still reports; it hears no proxy.
    listenForProxies(state.natsUrl, statusAuth(state), listenMs),
  ]);
  return {
    running: true,
    home,
    mode: state.mode,
    startedAt: state.startedAt,
    startingPid: state.startingPid !== undefined && isAlive({ pid: state.startingPid }) ? state.startingPid : undefined,
    healthy: processes.every((p) => p.alive) && services.every((s) => s.ready),
    processes,
    services,
    proxies,
    natsUrl: redactNatsUrl(state.natsUrl),
    endpoints: state.endpoints,
  };
}

/** The proxies that announce themselves on NATS within `listenMs`, latest heartbeat each. */
async function listenForProxies(natsUrl: string, auth: NatsAuth | undefined, listenMs: number): Promise<{ proxyId: string; configVersion: number; startedAt: string }[]> {
  let nc;
  try {
    nc = await connect({ ...natsConnectionOptions(natsUrl, auth), timeout: 1500, reconnect: false, name: 'graylane-cli-status' });
  } catch {
    return [];
  }
  const seen = new Map<string, ProxyHeartbeatV1>();
  const subscription = nc.subscribe(PROXY_HEARTBEAT_SUBJECT, {
    callback: (error, msg) => {
      if (error !== null) return;
      try {
        const beat = decodeJson(msg.data);
        if (validationIssues(ProxyHeartbeatV1, beat, 1).length === 0) {
          const heartbeat = beat as ProxyHeartbeatV1;
          seen.set(heartbeat.proxyId, heartbeat);
        }
      } catch {
        // Not JSON: not a heartbeat we can read; ignore it.
      }
    },
  });
  await sleep(listenMs);
  subscription.unsubscribe();
  await nc.close();
  return [...seen.values()]
    .sort((a, b) => a.proxyId.localeCompare(b.proxyId))
    .map(({ proxyId, configVersion, startedAt }) => ({ proxyId, configVersion, startedAt }));
}

function statusAuth(state: StackState): NatsAuth | undefined {
  try {
    return operatorAuth(state.secrets);
  } catch {
    return undefined;
  }
}
