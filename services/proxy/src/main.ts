import { loadConfig } from './config.js';
import { cluster } from './workers/cluster.js';

const config = loadConfig(process.env);
// Imported on demand: the primary of a multi-worker proxy loads none of the data plane (fastify,
// ioredis, the forwarding engine), so it is up and serving the admin port at once.
if (cluster.isWorker) {
  const [{ runProxy }, { workerLink }] = await Promise.all([import('./proxy-process.js'), import('./workers/worker-link.js')]);
  await runProxy(config, workerLink());
} else if (config.workers > 1) {
  const { runPrimary } = await import('./workers/primary.js');
  runPrimary(config);
} else {
  const { runProxy } = await import('./proxy-process.js');
  await runProxy(config);
}
