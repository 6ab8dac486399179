import { GraylaneError } from '@graylane/contracts';
import { DEFAULT_NATS_URL, type Env } from '@graylane/runtime';
import { parseCliArgs, USAGE, type CliArgs } from './args.js';
import { applyCommand, getCommand, listCommand, weightCommand } from './commands/rollout-commands.js';
import { reportCommand } from './commands/report-command.js';
import { historyCommand, lifecycleCommand, proxiesCommand, rollbackConfigCommand } from './commands/lifecycle-commands.js';
import { downCommand, statusCommand, upCommand } from './commands/stack-commands.js';
import { ControlPlaneClient } from './control-plane-client.js';
import { EXIT, exitCodeOf } from './exit-codes.js';
import type { Output } from './output.js';
import { readState } from './stack/state.js';

type ClientCommand = (client: ControlPlaneClient, args: CliArgs, output: Output) => Promise<void>;
type StackCommand = (args: CliArgs, env: Env, output: Output) => Promise<void>;

const CLIENT_COMMANDS: Record<string, ClientCommand> = {
  apply: applyCommand,
  get: getCommand,
  list: listCommand,
  weight: weightCommand,
  report: reportCommand,
  pause: lifecycleCommand('pause'),
  resume: lifecycleCommand('resume'),
  promote: lifecycleCommand('promote'),
  abort: lifecycleCommand('abort'),
  delete: lifecycleCommand('delete'),
  history: historyCommand,
  'rollback-config': rollbackConfigCommand,
  proxies: proxiesCommand,
};

const STACK_COMMANDS: Record<string, StackCommand> = {
  up: upCommand,
  down: downCommand,
  status: statusCommand,
};

/** Runs one command line; returns the process exit code. Errors print as one line on stderr. */
export async function runCli(argv: string[], env: Env, output: Output): Promise<number> {
  let args: CliArgs | undefined;
  try {
    args = parseCliArgs(argv);
    if (args.help || args.verb === undefined) {
      output.out(USAGE);
      return args.help ? EXIT.ok : EXIT.usage;
    }
    const stack = STACK_COMMANDS[args.verb];
    if (stack !== undefined) {
      await stack(args, env, output);
      return EXIT.ok;
    }
    const command = CLIENT_COMMANDS[args.verb];
    if (command === undefined) {
      throw new GraylaneError('GRAYLANE_UNKNOWN_COMMAND', `unknown command "${args.verb}"; run "graylane --help"`);
    }
    const client = await ControlPlaneClient.connect(natsUrlOf(args, env));
    try {
      await command(client, args, output);
    } finally {
      await client.close();
    }
    return EXIT.ok;
  } catch (error) {
    const failure = error instanceof GraylaneError ? error : new GraylaneError('GRAYLANE_INTERNAL', String((error as Error).message ?? error));
    if (args?.json) output.err(JSON.stringify({ ok: false, error: failure.toBody() }));
    else output.err(`graylane: ${failure.message}`);
    return exitCodeOf(failure.code);
  }
}

/** --nats, then GRAYLANE_NATS_URL, then the stack `graylane up` started, then the default. */
function natsUrlOf(args: CliArgs, env: Env): string {
  return args.nats ?? nonEmpty(env.GRAYLANE_NATS_URL) ?? readState(env)?.natsUrl ?? DEFAULT_NATS_URL;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
