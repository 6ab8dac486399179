// A demo backend process: DEMO_VERSION names it, PORT is where it listens, DEMO_LATENCY_MS and
// DEMO_ERROR_RATE set how it starts; `PUT /_demo/settings` changes them while it runs. Anyone who
// reaches that route can slow the demo canary down, so it listens on loopback unless DEMO_HOST
// says otherwise (a container sets 0.0.0.0 and publishes nothing).
import { createDemoBackend } from './backend.js';

const port = Number(process.env.PORT ?? 9001);
const host = process.env.DEMO_HOST ?? '127.0.0.1';
const version = process.env.DEMO_VERSION ?? 'v1';
const backend = createDemoBackend(version, {
  latencyMs: Number(process.env.DEMO_LATENCY_MS ?? 5),
  errorRate: Number(process.env.DEMO_ERROR_RATE ?? 0),
});
backend.server.listen(port, host, () => {
  process.stdout.write(`${JSON.stringify({ msg: 'demo backend listening', version, host, port })}\n`);
});
process.once('SIGTERM', () => backend.server.close(() => process.exit(0)));
