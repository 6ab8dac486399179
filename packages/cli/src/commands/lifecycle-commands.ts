import { GraylaneError, type CommandVerb } from '@graylane/contracts';
import type { CliArgs } from '../args.js';
import type { ControlPlaneClient } from '../control-plane-client.js';
import { formatTable, type Output } from '../output.js';
import { waitIfAsked } from './convergence.js';
import { mutation } from './rollout-commands.js';

type LifecycleVerb = Extract<CommandVerb, 'pause' | 'resume' | 'promote' | 'abort' | 'delete'>;

/** What each verb did, for the one line it prints. */
const DONE: Record<LifecycleVerb, string> = {
  pause: 'paused',
  resume: 'resumed',
  promote: 'promoted (canary is the new stable, weight 0)',
  abort: 'aborted (every user on stable)',
  delete: 'deleted',
};

/** `graylane pause|resume|promote|abort|delete NAME [--reason] [--expected-version] [--wait]`. */
export function lifecycleCommand(verb: LifecycleVerb) {
  return async (client: ControlPlaneClient, args: CliArgs, output: Output): Promise<void> => {
    const [name] = args.positionals;
    if (name === undefined) throw new GraylaneError('GRAYLANE_VALIDATION', `usage: graylane ${verb} NAME [--reason TEXT]`);
    const reply = await client.command(verb, { name, ...mutation(args) });
    if (args.json) output.out(JSON.stringify(reply));
    else output.out(`rollout ${name} ${DONE[verb]} at config version ${reply.version}`);
    await waitIfAsked(client, args, reply.version, output);
  };
}

/** `graylane rollback-config NAME --to VERSION`: restore the rollout as it was at VERSION. */
export async function rollbackConfigCommand(client: ControlPlaneClient, args: CliArgs, output: Output): Promise<void> {
  const [name] = args.positionals;
  if (name === undefined || args.to === undefined) {
    throw new GraylaneError('GRAYLANE_VALIDATION', 'usage: graylane rollback-config NAME --to VERSION');
  }
  const reply = await client.command('rollback-config', { name, toVersion: args.to, ...mutation(args) });
  if (args.json) output.out(JSON.stringify(reply));
  else output.out(`rollout ${name} restored as of version ${args.to}, now config version ${reply.version}`);
  await waitIfAsked(client, args, reply.version, output);
}

/** `graylane history NAME`: who changed it, when, why, and the diff, newest first. */
export async function historyCommand(client: ControlPlaneClient, args: CliArgs, output: Output): Promise<void> {
  const [name] = args.positionals;
  if (name === undefined) throw new GraylaneError('GRAYLANE_VALIDATION', 'usage: graylane history NAME');
  const reply = await client.command('history', { name });
  if (args.json) return output.out(JSON.stringify(reply));
  output.out(
    formatTable(
      ['VERSION', 'AT', 'BY', 'COMMAND', 'STATE', 'CHANGES', 'REASON'],
      (reply.history ?? []).map((h) => [
        String(h.version),
        h.at,
        h.actor,
        h.command ?? '',
        h.state,
        h.changes.map((c) => `${c.path}: ${JSON.stringify(c.from) ?? '-'} -> ${JSON.stringify(c.to) ?? '-'}`).join('; '),
        h.reason ?? '',
      ]),
    ),
  );
}

/** `graylane proxies`: live proxies and the config version each runs, from the config service. */
export async function proxiesCommand(client: ControlPlaneClient, args: CliArgs, output: Output): Promise<void> {
  const reply = await client.command('status', {});
  if (args.json) return output.out(JSON.stringify(reply));
  const proxies = reply.proxies ?? [];
  output.out(`config version ${reply.version}; ${proxies.filter((p) => p.configVersion >= reply.version).length}/${proxies.length} live proxies run it`);
  if (proxies.length > 0) {
    output.out(formatTable(['PROXY', 'VERSION', 'LAST SEEN'], proxies.map((p) => [p.proxyId, String(p.configVersion), p.lastSeen])));
  }
}
