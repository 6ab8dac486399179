import type { Env } from '@graylane/runtime';
import type { CliArgs } from '../args.js';
import type { ControlPlaneClient } from '../control-plane-client.js';
import type { Output } from '../output.js';

/** A verb that talks to the services: `runCli` connects the client first and closes it after. */
export type ClientRun = (client: ControlPlaneClient, args: CliArgs, output: Output) => Promise<void>;

/** A verb that runs the local stack itself and needs no connection (`up`, `down`, `status`). */
export type StackRun = (args: CliArgs, env: Env, output: Output) => Promise<void>;

/** How `graylane --help` shows a verb. */
export interface CommandHelp {
  readonly verb: string;
  /** What follows the verb on the help line, e.g. `NAME PERCENT`; empty when nothing does. */
  readonly synopsis: string;
  /** One line on what it does. */
  readonly summary: string;
}

/**
 * One verb of `graylane`: its name, its help line and what it runs, declared beside its handler
 * so that a new verb is written in one place. `commands/registry.ts` lists the files' verbs.
 */
export type CliCommand = CommandHelp & ({ readonly client: ClientRun } | { readonly stack: StackRun });

/** The column where every summary starts on the help screen. */
const SUMMARY_COLUMN = 38;

/** A verb's line on the help screen: `  graylane VERB SYNOPSIS`, then its summary at the column. */
export function helpLine({ verb, synopsis, summary }: CommandHelp): string {
  const head = `  graylane ${synopsis === '' ? verb : `${verb} ${synopsis}`}`;
  // A head too wide for the column is followed by a wider gap, so its summary still stands apart.
  return head.length + 2 <= SUMMARY_COLUMN ? `${head.padEnd(SUMMARY_COLUMN)}${summary}` : `${head}   ${summary}`;
}
