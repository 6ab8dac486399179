import { join } from 'node:path';
import { tcpAnswers } from '../process/ports.js';
import type { Launch } from '../process/supervisor.js';
import { LOG_FILES, redisServerCommand } from './commands.js';

/** How the supervisor starts redis-server on `port` in `dir` and knows it is up: its ready line, then its port answering. */
export function redisLaunch(dir: string, port: number): Launch {
  return {
    command: redisServerCommand({ port, dir }),
    url: `redis://127.0.0.1:${port}`,
    port,
    logFile: join(dir, LOG_FILES.redis),
    readyLine: /Ready to accept connections/,
    answers: () => tcpAnswers(port),
  };
}
