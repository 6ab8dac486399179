import { GraylaneError } from '@graylane/contracts';
import { ConfigError, DEFAULT_NATS_URL, natsAuthFrom, type Env, type NatsAuth } from '@graylane/runtime';
import { operatorAuth, readState } from '@graylane/stack';
import { parseCliArgs, type CliArgs } from './args.js';
import { cliCommandOf, USAGE } from './commands/registry.js';
import { ControlPlaneClient } from './control-plane-client.js';
import { EXIT, exitCodeOf } from './exit-codes.js';
import type { Output } from './output.js';

/** Runs one command line; returns the process exit code. Errors print as one line on stderr. */
export async function runCli(argv: string[], env: Env, output: Output): Promise<number> {
  let args: CliArgs | undefined;
  try {
    args = parseCliArgs(argv);
    if (args.help || args.verb === undefined) {
      output.out(USAGE);
      return args.help ? EXIT.ok : EXIT.usage;
    }
    const command = cliCommandOf(args.verb);
    if (command === undefined) {
      throw new GraylaneError('GRAYLANE_UNKNOWN_COMMAND', `unknown command "${args.verb}"; run "graylane --help"`);
    }
    if ('stack' in command) {
      await command.stack(args, env, output);
      return EXIT.ok;
    }
    const target = natsTargetOf(args, env);
    const client = await ControlPlaneClient.connect(target.url, target.auth);
    try {
      await command.client(client, args, output);
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

/**
 * --nats, then GRAYLANE_NATS_URL, then the stack `graylane up` started, then the default. The
 * credentials: GRAYLANE_NATS_* when set (or those in the URL), else the operator credentials of
 * the stack `graylane up` started, so its journey needs no extra step.
 */
function natsTargetOf(args: CliArgs, env: Env): { url: string; auth: NatsAuth | undefined } {
  let auth: NatsAuth | undefined;
  try {
    auth = natsAuthFrom(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new GraylaneError('GRAYLANE_VALIDATION', error.message, { cause: error });
    throw error;
  }
  const explicit = args.nats ?? nonEmpty(env.GRAYLANE_NATS_URL);
  if (explicit !== undefined) return { url: explicit, auth };
  const state = readState(env);
  if (state === undefined) return { url: DEFAULT_NATS_URL, auth };
  return { url: state.natsUrl, auth: auth ?? operatorAuth(state.secrets) };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
