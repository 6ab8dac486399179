// Local process supervision (spawn, wait until ready, stop) and the stack behind `graylane up`,
// `down` and `status`. The CLI and the test kit both start their processes through here.

// Processes: spawn with output to a file, supervise, wait until ready, stop.
export { findBinary } from './process/binaries.js';
export { freePort, freePorts, httpAnswers, tcpAnswers, waitForHttp, waitForTcp } from './process/ports.js';
export {
  groupMembers,
  isAlive,
  spawnDetached,
  stopProcesses,
  type DetachedSpec,
  type ProcessRecord,
  type StopResult,
} from './process/processes.js';
export { waitUntilReady } from './process/readiness.js';
export { ServerStartError, startServer, type Launch, type RunningServer, type ServerSpec } from './process/supervisor.js';

// The servers graylane runs on: how to start each, and a closed NATS's identities.
export {
  clickHouseServerCommand,
  LOG_FILES,
  NATS_AUTH_CONFIG,
  natsServerCommand,
  redisServerCommand,
  type ServerCommand,
} from './servers/commands.js';
export { redisLaunch } from './servers/redis-launch.js';
export {
  SERVICE_USERS,
  generateNatsCredentials,
  natsEnvFor,
  natsUrlWith,
  operatorPermissions,
  randomSecret,
  renderNatsAuthorization,
  shippedPermissionsFile,
  type NatsCredentials,
  type NatsUser,
  type ServiceRole,
} from './servers/nats-auth.js';

// The stack: up, down, status, and the state file they share.
export { demoSpecPath, type ApplyRollout } from './stack/apply-rollout.js';
export { DEMO_ROLLOUT } from './stack/demo-spec.js';
export { down, type DownResult } from './stack/down.js';
export type { Progress } from './stack/launcher.js';
export { entryPoints, repoRoot } from './stack/repo.js';
export { operatorAuth } from './stack/secrets.js';
export { readState, stackHome, statePath, type StackProcess, type StackState } from './stack/state.js';
export { status, type StatusReport } from './stack/status.js';
export { up, type UpOptions, type UpResult } from './stack/up.js';
