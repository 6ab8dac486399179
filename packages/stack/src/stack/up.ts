import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { GraylaneError } from '@graylane/contracts';
import type { Env } from '@graylane/runtime';
import { freePort } from '../process/ports.js';
import { isAlive } from '../process/processes.js';
import type { ApplyRollout } from './apply-rollout.js';
import { composeFiles, startDockerStack } from './docker-stack.js';
import { composeAvailable, dockerEngineAnswers } from './docker.js';
import { Interrupted, Launcher, type Progress } from './launcher.js';
import { startLocalStack } from './local-stack.js';
import { choosePorts, isPortFree, portVariable, wantedPorts, type PortMove, type StackPorts } from './ports.js';
import { repoRoot, requireBuilt } from './repo.js';
import { COMPOSE_OPERATOR, createStackSecrets, operatorName } from './secrets.js';
import { claimState, readState, removeState, stackHome, writeState, type StackState } from './state.js';

/** What `graylane up` did. */
export type UpResult =
  | { status: 'started'; state: StackState; moved: PortMove[]; ports: StackPorts; home: string }
  | { status: 'already-running'; state: StackState; home: string };

/** How `up` starts the stack. */
export interface UpOptions {
  /** Start demo traffic (`graylane up` without `--no-traffic`). */
  traffic: boolean;
  /** Sends the demo rollout to the config service once it is ready, as `graylane apply` would. */
  apply: ApplyRollout;
}

/** Forces the mode: `local` (binaries) or `docker` (compose); by default docker when an engine answers. */
export const MODE_VARIABLE = 'GRAYLANE_UP_MODE';

/**
 * Brings up the whole stack, or reports the one already running. On failure or Ctrl-C it stops
 * whatever it had started and forgets the state, keeping data and logs for a look.
 */
export async function up(env: Env, options: UpOptions, progress: Progress): Promise<UpResult> {
  const home = stackHome(env);
  const existing = readState(env);
  if (existing !== undefined) {
    const verdict = judgeExisting(existing);
    if (verdict === 'running') return { status: 'already-running', state: existing, home };
    if (verdict === 'starting') {
      throw new GraylaneError('GRAYLANE_CONFLICT', `graylane up is already starting a stack (pid ${existing.startingPid}); wait for it`);
    }
    if (verdict === 'partial') {
      const dead = existing.processes.filter((p) => !isAlive(p)).map((p) => p.name);
      throw new GraylaneError(
        'GRAYLANE_CONFLICT',
        `a stack is partly running (${dead.join(', ')} stopped); run graylane down, then graylane up`,
      );
    }
    progress('a previous stack is no longer running; forgetting its state');
    removeState(env);
  }

  const root = repoRoot();
  requireBuilt(root);
  const mode = await chooseMode(env, progress);
  const { ports, moved } = await choosePorts(wantedPorts(env), isPortFree, freePort);
  for (const move of moved) progress(`port ${move.wanted} (${move.name}) is busy; using ${move.chosen} instead (set ${portVariable(move.name)} to choose)`);

  mkdirSync(join(home, 'logs'), { recursive: true });
  const state = initialState(mode, home, ports, root);
  if (!claimState(env, state)) throw new GraylaneError('GRAYLANE_CONFLICT', 'another graylane up started at the same moment; run graylane status');
  progress(`starting graylane (${mode === 'docker' ? 'docker compose' : 'local binaries'}) in ${home}`);

  const launcher = new Launcher(env, state, progress);
  const onSignal = (): void => launcher.interrupt();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const plan = { env, home, root, ports, traffic: options.traffic, apply: options.apply };
    // A closed bus and HTTP tokens by default; fresh secrets on every up. The compose stack's
    // NATS config names one operator, "operator"; a local stack's is named after the login.
    const secrets = createStackSecrets(home, mode === 'docker' ? COMPOSE_OPERATOR : operatorName(env));
    state.secrets = { dir: secrets.dir, operator: secrets.operator };
    writeState(env, state);
    if (mode === 'docker') await startDockerStack(launcher, plan);
    else await startLocalStack(launcher, { ...plan, secrets });
    delete state.startingPid;
    writeState(env, state);
    return { status: 'started', state, moved, ports, home };
  } catch (error) {
    progress(error instanceof Interrupted ? 'interrupted; stopping what was started' : 'start failed; stopping what was started');
    await launcher.stopAll();
    removeState(env);
    if (error instanceof Interrupted) {
      // The abandoned step's readiness poll would keep the process alive until its own deadline
      // (up to a minute); once the error is printed, leave as an interrupted command does.
      setTimeout(() => process.exit(130), 200).unref();
      throw new GraylaneError('GRAYLANE_UNAVAILABLE', 'graylane up was interrupted; nothing is left running');
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** What an existing state file says about the stack it describes. */
export function judgeExisting(state: StackState): 'running' | 'starting' | 'partial' | 'stale' {
  if (state.startingPid !== undefined && isAlive({ pid: state.startingPid })) return 'starting';
  // Docker mode has no local processes; the containers are compose's to track.
  if (state.mode === 'docker') return 'running';
  const alive = state.processes.filter((p) => isAlive(p)).length;
  if (alive === 0) return 'stale';
  return alive === state.processes.length ? 'running' : 'partial';
}

async function chooseMode(env: Env, progress: Progress): Promise<'docker' | 'local'> {
  const forced = env[MODE_VARIABLE];
  if (forced === 'docker' || forced === 'local') return forced;
  if (forced !== undefined && forced !== '') {
    throw new GraylaneError('GRAYLANE_VALIDATION', `${MODE_VARIABLE}: expected "docker" or "local", got "${forced}"`);
  }
  if (!(await dockerEngineAnswers())) return 'local';
  if (await composeAvailable()) return 'docker';
  progress('a Docker engine answers but the docker compose plugin is missing; using local binaries');
  return 'local';
}

function initialState(mode: 'docker' | 'local', home: string, ports: StackPorts, root: string): StackState {
  const local = (port: number, path = ''): string => `http://127.0.0.1:${port}${path}`;
  return {
    mode,
    startedAt: new Date().toISOString(),
    natsUrl: `nats://127.0.0.1:${ports.nats}`,
    redisUrl: `redis://127.0.0.1:${ports.redis}`,
    clickhouseUrl: local(ports.clickhouseHttp),
    endpoints: {
      proxy: local(ports.proxy, '/'),
      proxyMetrics: local(ports.proxyAdmin, '/metrics'),
      configApi: local(ports.config, '/api/v1/commands/'),
      analyticsReport: local(ports.analytics, '/api/v1/reports/demo?since=5m'),
      clickhouse: local(ports.clickhouseHttp),
      backendV1Settings: local(ports.backendV1, '/_demo/settings'),
      backendV2Settings: local(ports.backendV2, '/_demo/settings'),
      logs: mode === 'docker' ? 'docker compose -p graylane logs' : join(home, 'logs'),
    },
    readiness: {
      config: local(ports.config, '/readyz'),
      analytics: local(ports.analytics, '/readyz'),
      proxy: local(ports.proxyAdmin, '/readyz'),
    },
    processes: [],
    startingPid: process.pid,
    ...(mode === 'docker' ? { composeFiles: composeFiles(root) } : {}),
  };
}
