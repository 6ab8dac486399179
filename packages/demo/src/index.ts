export { createDemoBackend, applySettings, DEFAULT_SETTINGS, type BackendSettings, type DemoBackend } from './backend.js';
export { startTraffic, type TrafficOptions, type TrafficStats } from './traffic.js';
