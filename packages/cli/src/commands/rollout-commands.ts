import { GraylaneError, type RolloutRecordV1 } from '@graylane/contracts';
import type { CliArgs } from '../args.js';
import type { ControlPlaneClient } from '../control-plane-client.js';
import { formatTable, type Output } from '../output.js';
import { readSpecFile } from '../spec-file.js';
import type { CliCommand } from './cli-command.js';
import { waitIfAsked } from './convergence.js';

/** Fields every mutating command sends along. */
export function mutation(args: CliArgs): Record<string, unknown> {
  return {
    ...(args.reason === undefined ? {} : { reason: args.reason }),
    ...(args.expectedVersion === undefined ? {} : { expectedVersion: args.expectedVersion }),
    ...(args.activateAt === undefined ? {} : { activateAt: args.activateAt }),
    actor: process.env.USER ?? 'cli',
  };
}

export async function applyCommand(client: ControlPlaneClient, args: CliArgs, output: Output): Promise<void> {
  if (args.file === undefined) throw new GraylaneError('GRAYLANE_VALIDATION', 'apply needs -f FILE (a YAML or JSON rollout spec)');
  const reply = await client.command('apply', { spec: readSpecFile(args.file), ...mutation(args) });
  if (args.json) output.out(JSON.stringify(reply));
  else {
    for (const rollout of reply.rollouts) {
      output.out(`rollout ${rollout.name} applied at config version ${reply.version} (canary weight ${rollout.spec.traffic.weight}%)`);
    }
  }
  await waitIfAsked(client, args, reply.version, output);
}

export async function weightCommand(client: ControlPlaneClient, args: CliArgs, output: Output): Promise<void> {
  const [name, percent] = args.positionals;
  if (name === undefined || percent === undefined) throw new GraylaneError('GRAYLANE_VALIDATION', 'usage: graylane weight NAME PERCENT');
  if (!/^-?[0-9]+(\.[0-9]+)?$/.test(percent)) {
    throw new GraylaneError('GRAYLANE_VALIDATION', `weight must be a number from 0 to 100 with at most two decimals, got "${percent}"`, {
      field: '/weight',
    });
  }
  const reply = await client.command('weight', { name, weight: Number(percent), ...mutation(args) });
  if (args.json) output.out(JSON.stringify(reply));
  else output.out(`rollout ${name}: canary weight ${Number(percent)}% at config version ${reply.version}`);
  await waitIfAsked(client, args, reply.version, output);
}

export async function getCommand(client: ControlPlaneClient, args: CliArgs, output: Output): Promise<void> {
  const [name] = args.positionals;
  if (name === undefined) throw new GraylaneError('GRAYLANE_VALIDATION', 'usage: graylane get NAME');
  const reply = await client.command('get', { name });
  if (args.json) return output.out(JSON.stringify(reply));
  output.out(`config version ${reply.version}`);
  output.out(rolloutTable(reply.rollouts));
}

export async function listCommand(client: ControlPlaneClient, args: CliArgs, output: Output): Promise<void> {
  const reply = await client.command('list', {});
  if (args.json) return output.out(JSON.stringify(reply));
  output.out(`config version ${reply.version}`);
  output.out(reply.rollouts.length === 0 ? 'no rollouts yet: graylane apply -f FILE' : rolloutTable(reply.rollouts));
}

/** The verbs of this file, in the order `graylane --help` lists them. */
export const ROLLOUT_VERBS: readonly CliCommand[] = [
  { verb: 'apply', synopsis: '-f FILE', summary: 'create or update a rollout from a YAML/JSON spec ("-" for stdin)', client: applyCommand },
  { verb: 'get', synopsis: 'NAME', summary: 'show one rollout', client: getCommand },
  { verb: 'list', synopsis: '', summary: 'list rollouts', client: listCommand },
  { verb: 'weight', synopsis: 'NAME PERCENT', summary: 'send PERCENT (0-100, two decimals) of users to the canary', client: weightCommand },
];

/** Rollouts as the table `get` and `list` print. */
export function rolloutTable(rollouts: RolloutRecordV1[]): string {
  return formatTable(
    ['NAME', 'STATE', 'WEIGHT', 'STABLE', 'CANARY', 'MATCH', 'UPDATED', 'BY'],
    rollouts.map((r) => [
      r.name,
      r.state,
      `${r.spec.traffic.weight}%`,
      r.spec.stable.name,
      r.spec.canary.name,
      `${(r.spec.match.hosts ?? ['*']).join(',')}${r.spec.match.pathPrefix ?? '/'}`,
      r.updatedAt,
      r.updatedBy,
    ]),
  );
}
