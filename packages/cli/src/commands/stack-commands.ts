import { GraylaneError } from '@graylane/contracts';
import type { Env } from '@graylane/runtime';
import { DEMO_ROLLOUT, demoSpecPath, down, stackHome, status, up, type ApplyRollout, type StackState } from '@graylane/stack';
import type { CliArgs } from '../args.js';
import { ControlPlaneClient } from '../control-plane-client.js';
import { formatTable, type Output } from '../output.js';
import type { CliCommand } from './cli-command.js';

/** `graylane up [--no-traffic]`: the whole stack with a demo rollout, or the one already running. */
export async function upCommand(args: CliArgs, env: Env, output: Output): Promise<void> {
  const result = await up(env, { traffic: !args.noTraffic, apply: applyDemoRollout }, progressOf(args, output));
  if (args.json) {
    output.out(JSON.stringify({ ok: true, ...result }));
    return;
  }
  if (result.status === 'already-running') {
    output.out(`graylane is already running (${result.state.mode}, started ${result.state.startedAt}, state in ${result.home})`);
    output.out(where(result.state, result.home).join('\n'));
    output.out('\ngraylane status shows its health; graylane down stops it.');
    return;
  }
  output.out('\ngraylane is up.');
  output.out(where(result.state, result.home).join('\n'));
  if (args.noTraffic) output.out(`\nNo demo traffic (--no-traffic); send some: curl -i -H 'x-user-id: alice' ${result.state.endpoints.proxy ?? ''}`);
  output.out(`\n${nextSteps(result.state).join('\n')}`);
}

/** `graylane down`: stops what `up` started and checks that nothing is left. */
export async function downCommand(args: CliArgs, env: Env, output: Output): Promise<void> {
  const result = await down(env, progressOf(args, output));
  if (result.status === 'stopped' && result.survivors.length > 0) {
    const names = result.survivors.map((s) => `${s.name} (pid ${s.pid})`).join(', ');
    throw new GraylaneError('GRAYLANE_INTERNAL', `still running after SIGKILL: ${names}; the state file is kept so graylane down can try again`);
  }
  if (args.json) {
    output.out(JSON.stringify({ ok: true, ...result }));
    return;
  }
  if (result.status === 'not-running') output.out('nothing is running');
  else output.out(`graylane is down; no process is left. Data and logs are kept in ${stackHome(env)}.`);
}

/** `graylane status`: each process, each service's readiness, and the proxies heard on NATS. */
export async function statusCommand(args: CliArgs, env: Env, output: Output): Promise<void> {
  const report = await status(env);
  if (args.json) {
    output.out(JSON.stringify({ ok: true, ...report }));
    return;
  }
  if (!report.running) {
    output.out('graylane is not running; start it with graylane up');
    return;
  }
  const health = report.startingPid !== undefined ? `starting (graylane up, pid ${report.startingPid})` : report.healthy ? 'healthy' : 'NOT HEALTHY';
  output.out(`graylane (${report.mode}, started ${report.startedAt}): ${health}`);
  if (report.processes.length > 0) {
    output.out(`\n${formatTable(['PROCESS', 'PID', 'STATE', 'LOG'], report.processes.map((p) => [p.name, String(p.pid), p.alive ? 'running' : 'DEAD', p.log]))}`);
  }
  output.out(`\n${formatTable(['SERVICE', 'READY', 'CHECKED'], report.services.map((s) => [s.name, s.ready ? 'yes' : `NO (${s.detail})`, s.url]))}`);
  output.out(
    report.proxies.length === 0
      ? `\nno proxy heard on ${report.natsUrl} within 2.5 s`
      : `\n${formatTable(['PROXY', 'CONFIG VERSION', 'STARTED'], report.proxies.map((p) => [p.proxyId, String(p.configVersion), p.startedAt]))}`,
  );
  const versions = new Set(report.proxies.map((p) => p.configVersion));
  if (versions.size > 1) output.out(`proxies apply different config versions (${[...versions].join(', ')}): a change is still converging`);
}

/** One `apply` of the demo rollout for `up`, through the CLI's client; `up` retries a retryable failure. */
const applyDemoRollout: ApplyRollout = async (natsUrl, spec, auth) => {
  const client = await ControlPlaneClient.connect(natsUrl, auth);
  try {
    // On a closed bus the operator's identity is the actor; an open one takes the body's word.
    const actor = auth === undefined ? { actor: 'graylane-up' } : {};
    const reply = await client.command('apply', { spec, ...actor, reason: 'demo stack started by graylane up' });
    return reply.version;
  } finally {
    await client.close();
  }
};

/** Progress lines: stdout for people; stderr under --json, so stdout carries one document. */
function progressOf(args: CliArgs, output: Output): (line: string) => void {
  return args.json ? (line) => output.err(line) : (line) => output.out(line);
}

/** Where to look, one aligned line per address. */
function where(state: StackState, home: string): string[] {
  const e = state.endpoints;
  const rows: [string, string | undefined][] = [
    ['proxy', e.proxy === undefined ? undefined : `${e.proxy}   (curl -i -H 'x-user-id: alice' ${e.proxy})`],
    ['proxy metrics', e.proxyMetrics],
    ['config API', e.configApi === undefined ? undefined : `${e.configApi}{apply,weight,get,list}`],
    ['analytics report', e.analyticsReport],
    ['ClickHouse', e.clickhouse === undefined ? undefined : `${e.clickhouse}   (database graylane)`],
    ['NATS', state.natsUrl],
    ['backend v1', e.backendV1Settings],
    ['backend v2', e.backendV2Settings],
    ['rollout spec', demoSpecPath(home)],
    ['logs', e.logs],
  ];
  return rows.filter((row): row is [string, string] => row[1] !== undefined).map(([label, value]) => `  ${label.padEnd(17)}${value}`);
}

function nextSteps(state: StackState): string[] {
  const canarySettings = state.endpoints.backendV2Settings ?? 'http://127.0.0.1:9002/_demo/settings';
  return [
    'Next:',
    `  graylane report ${DEMO_ROLLOUT}                 P50/P95/P99 and errors per version (give traffic ~30 s)`,
    `  graylane weight ${DEMO_ROLLOUT} 50              send half of the users to v2`,
    `  curl -X PUT ${canarySettings} -d '{"latencyMs":60}'`,
    '                                       slow v2 down; the P99 guardrail rolls it back',
    '  graylane status                      what runs, and which config version each proxy applies',
    '  graylane down                        stop everything (data and logs are kept)',
  ];
}

/** The verbs of this file, in the order `graylane --help` lists them. */
export const STACK_VERBS: readonly CliCommand[] = [
  { verb: 'up', synopsis: '[--no-traffic]', summary: 'start NATS, Redis, ClickHouse, the services, demo backends and traffic', stack: upCommand },
  { verb: 'down', synopsis: '', summary: 'stop everything "up" started', stack: downCommand },
  { verb: 'status', synopsis: '', summary: 'what is running, and where', stack: statusCommand },
];
