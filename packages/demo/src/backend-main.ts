// A demo backend process: DEMO_VERSION names it, PORT is where it listens, DEMO_LATENCY_MS and
// DEMO_ERROR_RATE set how it starts; `PUT /_demo/settings` changes them while it runs.
import { createDemoBackend } from './backend.js';

const port = Number(process.env.PORT ?? 9001);
const version = process.env.DEMO_VERSION ?? 'v1';
const backend = createDemoBackend(version, {
  latencyMs: Number(process.env.DEMO_LATENCY_MS ?? 5),
  errorRate: Number(process.env.DEMO_ERROR_RATE ?? 0),
});
backend.server.listen(port, '0.0.0.0', () => {
  process.stdout.write(`${JSON.stringify({ msg: 'demo backend listening', version, port })}\n`);
});
process.once('SIGTERM', () => backend.server.close(() => process.exit(0)));
