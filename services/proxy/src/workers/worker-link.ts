import { cluster } from './cluster.js';
import type { Server } from 'node:http';
import { isWorkerMessage, type WorkerMessage } from './messages.js';
import { dataPlaneListenOptions } from './listen-options.js';

/** A worker's side of the link with its primary. */
export interface WorkerLink {
  /** cluster's worker id: 1, 2, … and a new one for each replacement, so a replaced worker never reuses a proxyId. */
  readonly id: number;
  listenDataPlane(server: Server, port: number, host: string): Promise<void>;
  announceAdmin(port: number): void;
  /** Calls `drain` when the primary says so, or when the primary is gone (its IPC channel closed). */
  onDrain(drain: (reason: string) => void): void;
}

export function workerLink(): WorkerLink {
  const worker = cluster.worker;
  if (worker === undefined) throw new Error('workerLink() outside a cluster worker');
  // Until the worker serves (onDrain is called right after its data plane listens) there is
  // nothing to drain: told to stop while still connecting, it just exits.
  let drain = (): void => process.exit(0);
  process.on('message', (message: unknown) => {
    if (isWorkerMessage(message) && message.type === 'graylane:drain') drain();
  });
  // An orphaned worker would keep serving on the shared port with nobody to stop it.
  process.once('disconnect', () => drain());
  return {
    id: worker.id,
    listenDataPlane: (server, port, host) =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(dataPlaneListenOptions(port, host), () => {
          server.off('error', reject);
          resolve();
        });
      }),
    announceAdmin: (port) => {
      const message: WorkerMessage = { type: 'graylane:admin', port };
      process.send?.(message);
    },
    onDrain: (shutDown) => {
      drain = () => shutDown(process.connected ? 'drain from primary' : 'primary gone');
    },
  };
}
