import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli.js';
import type { Output } from '../output.js';
import { helpLine } from './cli-command.js';
import { CLI_COMMANDS, cliCommandOf, USAGE } from './registry.js';

function capture(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (text) => stdout.push(text), err: (text) => stderr.push(text) };
}

describe('the verb registry', () => {
  it('holds each verb once, in the order the help lists them', () => {
    const verbs = CLI_COMMANDS.map((c) => c.verb);
    expect(new Set(verbs).size).toBe(verbs.length);
    expect(verbs).toEqual(
      expect.arrayContaining(['up', 'down', 'status', 'apply', 'get', 'list', 'weight', 'pause', 'resume', 'promote', 'abort', 'delete', 'history', 'rollback-config', 'proxies', 'report']),
    );
    const usageLines = USAGE.split('\n');
    const first = usageLines.indexOf('Usage:') + 1;
    const listed = usageLines.slice(first, usageLines.indexOf('', first));
    expect(listed.map((line) => /^ {2}graylane (\S+)/.exec(line)?.[1])).toEqual(verbs);
    expect(cliCommandOf('frobnicate')).toBeUndefined();
  });

  it('puts each summary at column 38, and after three spaces when the synopsis is wider', () => {
    expect(helpLine({ verb: 'weight', synopsis: 'NAME PERCENT', summary: 'send' })).toBe(`${'  graylane weight NAME PERCENT'.padEnd(38)}send`);
    expect(helpLine({ verb: 'list', synopsis: '', summary: 'list rollouts' })).toBe(`${'  graylane list'.padEnd(38)}list rollouts`);
    // 36 characters is the widest head that still gets the two-space gap before column 38.
    expect(helpLine({ verb: 'report', synopsis: 'NAME [--since 15m]', summary: 'r' })).toBe('  graylane report NAME [--since 15m]  r');
    expect(helpLine({ verb: 'rollback-config', synopsis: 'NAME --to VERSION', summary: 'restore' })).toBe('  graylane rollback-config NAME --to VERSION   restore');
  });

  it('writes the help screen with its intro, the verbs, the options and the exit codes', () => {
    expect(USAGE.startsWith('graylane: canary releases with sticky users, P99 guardrails and automatic rollback\n\nUsage:\n  graylane up [--no-traffic]          start NATS,')).toBe(true);
    expect(USAGE).toContain('\n  graylane rollback-config NAME --to VERSION   restore the rollout as it was at VERSION\n');
    expect(USAGE).toContain('\n  graylane report NAME [--since 15m]  requests, error rate and P50/P95/P99 per pool\n\nOptions:\n  --json                  machine-readable output\n');
    expect(USAGE.endsWith('\n\nExit codes: 0 ok, 1 failure, 2 usage, 3 invalid input, 4 not found, 5 conflict, 6 unavailable, 7 unauthorized.\n')).toBe(true);
  });
});

describe('runCli dispatch', () => {
  const home = mkdtempSync(join(tmpdir(), 'graylane-registry-'));
  const env = { GRAYLANE_HOME: home };
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('prints the help with --help (exit 0) and without a verb (exit 2)', async () => {
    const help = capture();
    expect(await runCli(['--help'], env, help)).toBe(0);
    expect(help.stdout).toEqual([USAGE]);
    const none = capture();
    expect(await runCli([], env, none)).toBe(2);
    expect(none.stdout).toEqual([USAGE]);
  });

  it('refuses an unknown verb with a usage exit', async () => {
    const output = capture();
    expect(await runCli(['frobnicate', 'checkout'], env, output)).toBe(2);
    expect(output.stderr).toEqual(['graylane: unknown command "frobnicate"; run "graylane --help"']);
  });

  it('runs a stack verb without connecting, and connects for a client verb', async () => {
    const status = capture();
    expect(await runCli(['status'], env, status)).toBe(0);
    expect(status.stdout).toEqual(['graylane is not running; start it with graylane up']);
    // Nothing listens on port 1: the client verb tried to connect, the stack verb did not.
    const list = capture();
    expect(await runCli(['list', '--nats', 'nats://127.0.0.1:1'], env, list)).toBe(6);
    expect(list.stderr.join('\n')).toMatch(/^graylane: cannot reach NATS at nats:\/\/127\.0\.0\.1:1 /);
  });
});
