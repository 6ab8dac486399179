export { findBinary } from './binaries.js';
export {
  clickHouseServerCommand,
  natsServerCommand,
  redisServerCommand,
  type ServerCommand,
} from './commands.js';
export { freePort, waitForHttp, waitForTcp } from './ports.js';
export { startClickHouse, startNats, startRedis } from './servers.js';
export type { RunningServer } from './supervisor.js';
