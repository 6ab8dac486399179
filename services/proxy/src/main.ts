import { cluster } from './workers/cluster.js';
import { loadConfig } from './config.js';
import { runProxy } from './proxy-process.js';
import { runPrimary } from './workers/primary.js';
import { workerLink } from './workers/worker-link.js';

const config = loadConfig(process.env);
if (cluster.isWorker) await runProxy(config, workerLink());
else if (config.workers > 1) runPrimary(config);
else await runProxy(config);
