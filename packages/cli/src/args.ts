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

/** The flags `parseCliArgs` reads, as the help screen lists them under "Options:". */
export const OPTIONS_HELP = `  --json                  machine-readable output
  --reason TEXT           why (recorded with the change)
  --expected-version N    fail unless the config is at version N (compare-and-set)
  --wait                  after a change, wait until every live proxy runs the new version
  --timeout 30s           how long --wait waits (exit 6 when proxies have not converged)
  --activate-at ISO-TIME  every proxy switches to the new version at this instant
  --activate-in 5s        the same, relative to now
  --nats URL              NATS URL (default: GRAYLANE_NATS_URL, then the stack from "graylane up", then nats://127.0.0.1:4222)`;
