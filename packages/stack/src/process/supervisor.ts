import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerCommand } from '../servers/commands.js';
import { pollUntilReady } from './poll.js';
import { killProcesses, processStartTicks, stopProcesses, type ProcessRecord } from './processes.js';
import { spawnLogged, writeServerFiles } from './spawn.js';

/**
 * A server process started in its own temp dir on ports nothing else uses (the test fixtures'
 * servers). It stays a child of this process, so it goes when this process goes.
 */
export interface RunningServer {
  /** How a client connects, e.g. 'nats://127.0.0.1:PORT'. */
  readonly url: string;
  /** The port of `url`. */
  readonly port: number;
  /** The temp dir with the server's config, data and logs; removed by `stop()`. */
  readonly dir: string;
  /** The pid of the current process; a new one after `restart()` or `start()`. */
  readonly pid: number;
  /** SIGTERM, SIGKILL if still running after a few seconds, then removes `dir`. Idempotent. */
  stop(): Promise<void>;
  /** SIGSTOP/SIGCONT-free hard kill + restart on the same port and data dir, for fault tests. */
  restart(): Promise<void>;
  /** SIGKILL, as a crash would; `dir` stays, so `start()` can bring the same server back. */
  kill(): Promise<void>;
  /** Starts the server again after `kill()`, on the same port and data dir. No-op while running. */
  start(): Promise<void>;
}

/** One try at starting a server. `plan` is called again, with fresh ports, if the ports were taken. */
export interface Launch {
  command: ServerCommand;
  url: string;
  port: number;
  /** The server's own log: it tells readiness, and its tail explains a failed start. */
  logFile: string;
  /** A line the server logs once its ports are bound: a port that answers could be someone else's. */
  readyLine: RegExp;
  /** Whether the server answers on its port right now. */
  answers(): Promise<boolean>;
}

export interface ServerSpec {
  /** The binary's name, used in messages and in the temp dir's name. */
  name: string;
  plan(dir: string): Promise<Launch>;
  startTimeoutMs?: number;
}

const DEFAULT_START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 4_000;
const PORT_ATTEMPTS = 4;
const POLL_MS = 20;
const TAIL_LINES = 40;
const STDIO_LOG = 'stdio.log';
const PORT_TAKEN = /address already in use/i;

/** A server that did not become ready; `portTaken` when it lost a race for its port. */
export class ServerStartError extends Error {
  readonly portTaken: boolean;

  constructor(message: string, portTaken: boolean, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ServerStartError';
    this.portTaken = portTaken;
  }
}

/** Creates a temp dir, starts the server in it, retrying on fresh ports if another process took them. */
export async function startServer(spec: ServerSpec): Promise<RunningServer> {
  const dir = await mkdtemp(join(tmpdir(), `graylane-${spec.name}-`));
  liveDirs.add(dir);
  installExitHook();
  const timeoutMs = spec.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  try {
    for (let attempt = 1; ; attempt += 1) {
      const launch = await spec.plan(dir);
      try {
        const child = await launchOnce(spec.name, launch, dir, timeoutMs);
        return new SupervisedServer(spec.name, launch, dir, timeoutMs, child);
      } catch (error) {
        if (!(error instanceof ServerStartError && error.portTaken && attempt < PORT_ATTEMPTS)) throw error;
      }
    }
  } catch (error) {
    await removeDir(dir);
    throw error;
  }
}

class SupervisedServer implements RunningServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  private readonly name: string;
  private readonly launch: Launch;
  private readonly timeoutMs: number;
  private child: ChildProcess | undefined;
  private currentPid: number;
  private stopped = false;

  constructor(name: string, launch: Launch, dir: string, timeoutMs: number, child: ChildProcess) {
    this.name = name;
    this.launch = launch;
    this.timeoutMs = timeoutMs;
    this.url = launch.url;
    this.port = launch.port;
    this.dir = dir;
    this.child = child;
    this.currentPid = child.pid ?? -1;
  }

  get pid(): number {
    return this.currentPid;
  }

  async start(): Promise<void> {
    if (this.stopped) throw new Error(`${this.name} on port ${this.port} was stopped and its dir removed`);
    if (this.child !== undefined && isRunning(this.child)) return;
    this.child = await launchOnce(this.name, this.launch, this.dir, this.timeoutMs);
    this.currentPid = this.child.pid ?? -1;
  }

  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined) return;
    await hardKill(child, this.name, this.dir);
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const child = this.child;
    this.child = undefined;
    if (child !== undefined) await stopProcesses(recordOf(child, this.name, this.dir), STOP_GRACE_MS, POLL_MS);
    await removeDir(this.dir);
  }
}

async function launchOnce(name: string, launch: Launch, dir: string, timeoutMs: number): Promise<ChildProcess> {
  const { command } = launch;
  writeServerFiles(command.files);
  // On a restart the logs already hold an earlier "ready" line: only what this process writes counts.
  const stdioPath = join(dir, STDIO_LOG);
  const logOffset = await sizeOf(launch.logFile);
  const stdioOffset = await sizeOf(stdioPath);

  const child = spawnLogged({ bin: command.bin, args: command.args, log: stdioPath, cwd: dir });
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  track(child);

  let log = '';
  const outcome = await pollUntilReady({
    failed: async () => {
      log = await readSince(launch.logFile, logOffset);
      // Some servers log a failed bind and linger while shutting down: no need to wait for them.
      if (spawnError !== undefined) return `could not be spawned (${spawnError.message})`;
      if (PORT_TAKEN.test(log)) return 'could not bind its port';
      if (!isRunning(child)) return `exited (${child.signalCode ?? `code ${String(child.exitCode)}`}) before it was ready`;
      return undefined;
    },
    ready: async () => launch.readyLine.test(log) && (await launch.answers()),
    timeoutMs,
    pollMs: POLL_MS,
  });
  if (outcome === 'ready') {
    child.unref();
    return child;
  }
  await hardKill(child, name, dir);
  const logs = await describeLogs([
    [launch.logFile, logOffset],
    [stdioPath, stdioOffset],
  ]);
  const failure = outcome === 'timeout' ? `was not ready within ${timeoutMs} ms` : outcome.failure;
  throw new ServerStartError(
    `${name} on port ${launch.port} ${failure}: ${command.bin} ${command.args.join(' ')}\n${logs}`,
    PORT_TAKEN.test(logs),
    spawnError,
  );
}

// Servers still running when the test process exits are killed from a synchronous 'exit' handler,
// since that is the last code that runs; their temp dirs are removed there too.
const liveChildren = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of liveChildren) child.kill('SIGKILL');
    for (const dir of liveDirs) {
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
      } catch {
        // Nothing more can be done while exiting; the dir is under os.tmpdir().
      }
    }
  });
}

function track(child: ChildProcess): void {
  if (child.pid === undefined) return;
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

function isRunning(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

/** The running child as a process record (none once it has exited), for the stop and kill all processes share. */
function recordOf(child: ChildProcess, name: string, dir: string): ProcessRecord[] {
  if (child.pid === undefined || !isRunning(child)) return [];
  const startTicks = processStartTicks(child.pid);
  return [{ name, pid: child.pid, log: join(dir, STDIO_LOG), ...(startTicks === undefined ? {} : { startTicks }) }];
}

/** SIGKILL, as a crash would, and wait until it is gone. */
async function hardKill(child: ChildProcess, name: string, dir: string): Promise<void> {
  await killProcesses(recordOf(child, name, dir), POLL_MS);
}

async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
  liveDirs.delete(dir);
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function readSince(path: string, offset: number): Promise<string> {
  try {
    return (await readFile(path)).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}

async function describeLogs(logs: Array<[path: string, offset: number]>): Promise<string> {
  const parts: string[] = [];
  for (const [path, offset] of logs) {
    const lines = (await readSince(path, offset)).trimEnd().split('\n');
    const tail = lines.slice(-TAIL_LINES).join('\n');
    parts.push(`--- last lines of ${path} ---\n${tail === '' ? '(empty)' : tail}`);
  }
  return parts.join('\n');
}
