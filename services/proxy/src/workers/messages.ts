/**
 * What the primary and its workers tell each other over the cluster IPC channel. Everything else
 * (metrics, readiness, session routes) goes over each worker's loopback admin port.
 */
export type WorkerMessage =
  /** worker → primary: my admin server listens on 127.0.0.1:port */
  | { type: 'graylane:admin'; port: number }
  /** primary → worker: drain and exit, as on SIGTERM */
  | { type: 'graylane:drain' };

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  if (type === 'graylane:drain') return true;
  return type === 'graylane:admin' && Number.isInteger((value as { port?: unknown }).port);
}
