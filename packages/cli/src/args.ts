import { parseArgs } from 'node:util';
import { GraylaneError } from '@graylane/contracts';

/** The command line, parsed: the verb, its positional arguments and the flags. */
export interface CliArgs {
  verb: string | undefined;
  positionals: string[];
  json: boolean;
  help: boolean;
  file: string | undefined;
  reason: string | undefined;
  since: string;
  nats: string | undefined;
  expectedVersion: number | undefined;
  /** `up` without demo traffic. */
  noTraffic: boolean;
}

/** Marks a negative number so parseArgs does not take it for a flag (`graylane weight x -1`). */
const NEGATIVE = '\u0000negative:';

export function parseCliArgs(argv: string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv.map((arg) => (/^-[0-9]/.test(arg) ? `${NEGATIVE}${arg}` : arg)),
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        file: { type: 'string', short: 'f' },
        reason: { type: 'string' },
        since: { type: 'string', default: '15m' },
        nats: { type: 'string' },
        'expected-version': { type: 'string' },
        'no-traffic': { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    throw new GraylaneError('GRAYLANE_UNKNOWN_COMMAND', (error as Error).message);
  }
  const { values } = parsed;
  const [verb, ...rest] = parsed.positionals.map((arg) => (arg.startsWith(NEGATIVE) ? arg.slice(NEGATIVE.length) : arg));
  const expected = values['expected-version'];
  if (expected !== undefined && !/^[0-9]+$/.test(expected)) {
    throw new GraylaneError('GRAYLANE_VALIDATION', `--expected-version must be a non-negative integer, got "${expected}"`);
  }
  return {
    verb,
    positionals: rest,
    json: values.json,
    help: values.help,
    file: values.file,
    reason: values.reason,
    since: values.since,
    nats: values.nats,
    expectedVersion: expected === undefined ? undefined : Number(expected),
    noTraffic: values['no-traffic'],
  };
}

export const USAGE = `graylane: canary releases with sticky users, P99 guardrails and automatic rollback

Usage:
  graylane up [--no-traffic]          start NATS, Redis, ClickHouse, the services, demo backends and traffic
  graylane down                       stop everything "up" started
  graylane status                     what is running, and where
  graylane apply -f FILE              create or update a rollout from a YAML/JSON spec ("-" for stdin)
  graylane get NAME                   show one rollout
  graylane list                       list rollouts
  graylane weight NAME PERCENT        send PERCENT (0-100, two decimals) of users to the canary
  graylane report NAME [--since 15m]  requests, error rate and P50/P95/P99 per pool

Options:
  --json                  machine-readable output
  --reason TEXT           why (recorded with the change)
  --expected-version N    fail unless the config is at version N (compare-and-set)
  --nats URL              NATS URL (default: GRAYLANE_NATS_URL, then the stack from "graylane up", then nats://127.0.0.1:4222)

Exit codes: 0 ok, 1 failure, 2 usage, 3 invalid input, 4 not found, 5 conflict, 6 unavailable.
`;
