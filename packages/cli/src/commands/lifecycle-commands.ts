import { GraylaneError, type CommandVerb } from '@graylane/contracts';
import type { CliArgs } from '../args.js';
import type { ControlPlaneClient } from '../control-plane-client.js';
import { DEFAULT_COLUMNS, formatTable, type Output } from '../output.js';
import { fitLine, fitTable } from '../table-layout.js';
import type { CliCommand } from './cli-command.js';
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
  // One line per version, its changes below it, one per line: an apply that creates a rollout
  // lists every field it set, which as a column made every row hundreds of characters wide.
  const width = output.columns ?? DEFAULT_COLUMNS;
  const entries = reply.history ?? [];
  const table = fitTable(
    ['VERSION', 'AT', 'BY', 'COMMAND', 'STATE', 'REASON'],
    // Seconds are precise enough to read, and the column is 4 characters narrower.
    entries.map((h) => [String(h.version), h.at.replace(/\.\d+Z$/, 'Z'), h.actor, h.command ?? '', h.state, h.reason ?? '']),
    { width, wrap: [5] },
  );
  let cut = table.cut;
  const lines = [table.header];
  entries.forEach((h, i) => {
    lines.push(table.rows[i] ?? '');
    for (const c of h.changes.slice(0, MAX_CHANGES_SHOWN)) {
      const fitted = fitLine(`${CHANGE_INDENT}${c.path}: ${JSON.stringify(c.from) ?? '-'} -> ${JSON.stringify(c.to) ?? '-'}`, width);
      cut ||= fitted.cut;
      lines.push(fitted.line);
    }
    if (h.changes.length > MAX_CHANGES_SHOWN) {
      cut = true;
      lines.push(`${CHANGE_INDENT}… ${h.changes.length - MAX_CHANGES_SHOWN} more`);
    }
  });
  output.out(lines.join('\n'));
  if (cut) output.out(`(cut to fit; \`graylane history ${name} --json\` prints every change whole)`);
}

const CHANGE_INDENT = '    ';
/** Changes listed per history row; the rest are counted. */
const MAX_CHANGES_SHOWN = 8;

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

/** The verbs of this file, in the order `graylane --help` lists them. */
export const LIFECYCLE_VERBS: readonly CliCommand[] = [
  { verb: 'pause', synopsis: 'NAME', summary: "hold the rollout's steps where they are", client: lifecycleCommand('pause') },
  { verb: 'resume', synopsis: 'NAME', summary: 'continue the steps (or pass a manual gate)', client: lifecycleCommand('resume') },
  { verb: 'promote', synopsis: 'NAME', summary: 'the canary becomes the new stable, weight back to 0', client: lifecycleCommand('promote') },
  { verb: 'abort', synopsis: 'NAME', summary: 'send every user to stable', client: lifecycleCommand('abort') },
  { verb: 'delete', synopsis: 'NAME', summary: 'remove the rollout', client: lifecycleCommand('delete') },
  { verb: 'history', synopsis: 'NAME', summary: 'who changed the rollout, when, why, and what changed', client: historyCommand },
  { verb: 'rollback-config', synopsis: 'NAME --to VERSION', summary: 'restore the rollout as it was at VERSION', client: rollbackConfigCommand },
  { verb: 'proxies', synopsis: '', summary: 'live proxies and the config version each runs', client: proxiesCommand },
];
