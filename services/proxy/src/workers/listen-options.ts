/**
 * Whether this Node can give each worker its own listening socket on the shared port
 * (`reusePort`, SO_REUSEPORT): Node 22.12+ and 23.1+ on Linux. The pinned runtime (.node-version)
 * can; older ones fall back to the cluster module's round robin through the primary.
 */
export function supportsReusePort(version: string = process.versions.node, platform: NodeJS.Platform = process.platform): boolean {
  if (platform !== 'linux') return false;
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major === 22) return minor >= 12;
  if (major === 23) return minor >= 1;
  return major >= 24;
}

/**
 * How a worker listens on the data-plane port. With reusePort the kernel spreads new connections
 * over the workers' own sockets, so the primary is not in the accept path (docs/architecture.md,
 * "Every core", has the measurement); `exclusive` keeps cluster from sharing one socket instead.
 */
export function dataPlaneListenOptions(port: number, host: string, reusePort = supportsReusePort()): { port: number; host: string; reusePort?: boolean; exclusive?: boolean } {
  return reusePort ? { port, host, reusePort: true, exclusive: true } : { port, host };
}
