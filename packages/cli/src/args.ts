import { parseArgs } from 'node:util';
import { GraylaneError, parseDuration } from '@graylane/contracts';

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
  /** Wait until every live proxy runs the new version. */
  wait: boolean;
  /** How long `--wait` waits, e.g. 30s. */
  timeout: string;
  /** `rollback-config --to VERSION`. */
  to: number | undefined;
  /** ISO 8601 instant at which every proxy switches (`--activate-at`), or from `--activate-in`. */
  activateAt: string | undefined;
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
        wait: { type: 'boolean', default: false },
        timeout: { type: 'string', default: '30s' },
        to: { type: 'string' },
        'activate-at': { type: 'string' },
        'activate-in': { type: 'string' },
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
  const to = values.to;
  if (to !== undefined && !/^[1-9][0-9]*$/.test(to)) {
    throw new GraylaneError('GRAYLANE_VALIDATION', `--to must be a config version (a positive integer), got "${to}"`, { field: '--to' });
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
    wait: values.wait,
    timeout: values.timeout,
    to: to === undefined ? undefined : Number(to),
    activateAt: activateAtOf(values['activate-at'], values['activate-in']),
  };
}

/** `--activate-at` as given (the service validates it), or now plus `--activate-in`. */
function activateAtOf(at: string | undefined, inText: string | undefined): string | undefined {
  if (at !== undefined && inText !== undefined) {
    throw new GraylaneError('GRAYLANE_VALIDATION', 'give --activate-at or --activate-in, not both');
  }
  if (inText === undefined) return at;
  try {
    return new Date(Date.now() + parseDuration(inText)).toISOString();
  } catch (error) {
    throw new GraylaneError('GRAYLANE_VALIDATION', `--activate-in: ${(error as Error).message}`, { field: '--activate-in' });
  }
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
  graylane pause NAME                 hold the rollout's steps where they are
  graylane resume NAME                continue the steps (or pass a manual gate)
  graylane promote NAME               the canary becomes the new stable, weight back to 0
  graylane abort NAME                 send every user to stable
  graylane delete NAME                remove the rollout
  graylane history NAME               who changed the rollout, when, why, and what changed
  graylane rollback-config NAME --to VERSION   restore the rollout as it was at VERSION
  graylane proxies                    live proxies and the config version each runs
  graylane report NAME [--since 15m]  requests, error rate and P50/P95/P99 per pool

Options:
  --json                  machine-readable output
  --reason TEXT           why (recorded with the change)
  --expected-version N    fail unless the config is at version N (compare-and-set)
  --wait                  after a change, wait until every live proxy runs the new version
  --timeout 30s           how long --wait waits (exit 6 when proxies have not converged)
  --activate-at ISO-TIME  every proxy switches to the new version at this instant
  --activate-in 5s        the same, relative to now
  --nats URL              NATS URL (default: GRAYLANE_NATS_URL, then the stack from "graylane up", then nats://127.0.0.1:4222)

Exit codes: 0 ok, 1 failure, 2 usage, 3 invalid input, 4 not found, 5 conflict, 6 unavailable, 7 unauthorized.
`;
