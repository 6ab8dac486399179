import { OPTIONS_HELP } from '../args.js';
import { helpLine, type CliCommand } from './cli-command.js';
import { LIFECYCLE_VERBS } from './lifecycle-commands.js';
import { REPORT_VERBS } from './report-command.js';
import { ROLLOUT_VERBS } from './rollout-commands.js';
import { STACK_VERBS } from './stack-commands.js';

/**
 * Every verb of `graylane`, in the order the help screen lists them. Each file declares its own
 * verbs beside their handlers; a new verb in one of these files needs no edit here.
 */
export const CLI_COMMANDS: readonly CliCommand[] = [...STACK_VERBS, ...ROLLOUT_VERBS, ...LIFECYCLE_VERBS, ...REPORT_VERBS];

const BY_VERB: ReadonlyMap<string, CliCommand> = new Map(CLI_COMMANDS.map((command) => [command.verb, command]));

/** The command for `verb`, or undefined when graylane has no such verb. */
export function cliCommandOf(verb: string): CliCommand | undefined {
  return BY_VERB.get(verb);
}

/** The help screen: each verb's line, then the flags of `parseCliArgs` and the exit codes. */
export const USAGE = `graylane: canary releases with sticky users, P99 guardrails and automatic rollback

Usage:
${CLI_COMMANDS.map(helpLine).join('\n')}

Options:
${OPTIONS_HELP}

Exit codes: 0 ok, 1 failure, 2 usage, 3 invalid input, 4 not found, 5 conflict, 6 unavailable, 7 unauthorized.
`;
