import type { Env } from '@graylane/runtime';
import { spawnDetached, stopStack, type DetachedSpec, type StopResult } from '../process/processes.js';
import { writeState, type StackProcess, type StackState } from './state.js';

/** Where progress lines go: stdout for people, stderr under --json so stdout stays one document. */
export type Progress = (line: string) => void;

/**
 * Starts the stack's processes one by one and records each in state.json the moment it exists,
 * so that `down` (or the clean-up after a failed or interrupted `up`) can stop a half-started stack.
 */
export class Launcher {
  private interrupted = false;
  private readonly stopSignal: Promise<never>;
  private rejectStop: (error: Error) => void = () => undefined;

  constructor(
    private readonly env: Env,
    readonly state: StackState,
    readonly progress: Progress,
  ) {
    this.stopSignal = new Promise<never>((_resolve, reject) => {
      this.rejectStop = reject;
    });
    // Only ever observed through a race in step(); never an unhandled rejection.
    this.stopSignal.catch(() => undefined);
  }

  /** Starts a detached process and records it. */
  start(spec: DetachedSpec): StackProcess {
    // A step abandoned on Ctrl-C may still reach here; it must not leave an orphan behind.
    this.checkInterrupted();
    const started = spawnDetached(spec);
    this.state.processes.push(started);
    writeState(this.env, this.state);
    return started;
  }

  /** Changes what is recorded about a started process, and saves it. */
  update(started: StackProcess, change: Partial<Pick<StackProcess, 'log'>>): void {
    Object.assign(started, change);
    writeState(this.env, this.state);
  }

  /**
   * Runs one step and prints `LABEL … ok (1.2 s)` when it succeeds, with `detail` appended.
   * Ctrl-C ends the wait at once, so a slow server start does not hold the user hostage.
   */
  async step<T>(label: string, run: () => Promise<T>, detail?: (value: T) => string): Promise<T> {
    this.checkInterrupted();
    const began = Date.now();
    const running = run();
    // When Ctrl-C wins the race the step's own failure comes later and is of no interest.
    running.catch(() => undefined);
    const value = await Promise.race([running, this.stopSignal]);
    this.checkInterrupted();
    const extra = detail === undefined ? '' : `, ${detail(value)}`;
    this.progress(`${label} … ok (${((Date.now() - began) / 1000).toFixed(1)} s${extra})`);
    return value;
  }

  /** Ends the current step and every later one with {@link Interrupted}. */
  interrupt(): void {
    this.interrupted = true;
    this.rejectStop(new Interrupted());
  }

  /** Stops everything started so far. */
  async stopAll(): Promise<StopResult[]> {
    return stopStack(this.state.processes);
  }

  private checkInterrupted(): void {
    if (this.interrupted) throw new Interrupted();
  }
}

/** Thrown by a step after Ctrl-C. */
export class Interrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'Interrupted';
  }
}
