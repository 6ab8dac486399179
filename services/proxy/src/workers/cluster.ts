import * as clusterModule from 'node:cluster';

/**
 * node:cluster's own object. Without esModuleInterop TypeScript has no default import for it, and
 * the ESM namespace lacks its EventEmitter methods (`on`), so take the module's default export.
 */
export const cluster = (clusterModule as unknown as { default: typeof clusterModule }).default;
export type { Worker } from 'node:cluster';
