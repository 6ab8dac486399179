// Demo traffic: TRAFFIC_URL (default http://127.0.0.1:8080/), TRAFFIC_RATE requests per second
// (default 50), TRAFFIC_USERS distinct users (default 1000). Prints a summary every 10 s.
import { startTraffic } from './traffic.js';

const traffic = startTraffic({
  url: process.env.TRAFFIC_URL ?? 'http://127.0.0.1:8080/',
  rate: Number(process.env.TRAFFIC_RATE ?? 50),
  users: Number(process.env.TRAFFIC_USERS ?? 1000),
  ...(process.env.TRAFFIC_HOST === undefined ? {} : { host: process.env.TRAFFIC_HOST }),
});
const report = setInterval(() => process.stdout.write(`${JSON.stringify({ msg: 'demo traffic', ...traffic.stats })}\n`), 10_000);
process.once('SIGTERM', () => {
  clearInterval(report);
  traffic.stop();
});
