import { describe, expect, it } from 'vitest';
import { GraylaneError, type CommandReplyV1, type HistoryEntryV1 } from '@graylane/contracts';
import { parseCliArgs } from '../args.js';
import type { ControlPlaneClient } from '../control-plane-client.js';
import type { Output } from '../output.js';
import { historyCommand, lifecycleCommand, rollbackConfigCommand } from './lifecycle-commands.js';

type OkReply = Extract<CommandReplyV1, { ok: true }>;

/** A client that answers from a script and records what it was sent (pure unit test). */
function fakeClient(answer: (verb: string, body: unknown) => OkReply): { client: ControlPlaneClient; sent: [string, unknown][] } {
  const sent: [string, unknown][] = [];
  const client = {
    command: async (verb: string, body: unknown) => {
      sent.push([verb, body]);
      return answer(verb, body);
    },
  } as unknown as ControlPlaneClient;
  return { client, sent };
}

function capture(): Output & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (text) => lines.push(text), err: (text) => lines.push(`ERR ${text}`) };
}

describe('control-plane flags', () => {
  it('parses --wait, --timeout, --to and --activate-in', () => {
    const before = Date.now();
    const args = parseCliArgs(['rollback-config', 'checkout', '--to', '7', '--wait', '--timeout', '5s', '--activate-in', '2s']);
    expect(args).toMatchObject({ wait: true, timeout: '5s', to: 7 });
    expect(Date.parse(args.activateAt ?? '') - before).toBeGreaterThanOrEqual(2000);
    expect(() => parseCliArgs(['rollback-config', 'x', '--to', 'v2'])).toThrow(/--to must be a config version \(a positive integer\), got "v2"/);
    expect(() => parseCliArgs(['weight', 'x', '1', '--activate-in', 'soon'])).toThrow(/--activate-in: invalid duration "soon"/);
  });
});

describe('lifecycle commands', () => {
  it('send the verb with the reason and expected version, then wait until every live proxy runs the new version', async () => {
    let polls = 0;
    const { client, sent } = fakeClient((verb) => {
      if (verb !== 'status') return { ok: true, version: 12, rollouts: [] };
      polls += 1;
      return { ok: true, version: 12, rollouts: [], proxies: [{ proxyId: 'p1', configVersion: polls < 3 ? 11 : 12, lastSeen: '' }] };
    });
    const output = capture();
    await lifecycleCommand('abort')(client, parseCliArgs(['abort', 'checkout', '--reason', 'p99', '--expected-version', '11', '--wait']), output);
    expect(sent[0]).toEqual(['abort', expect.objectContaining({ name: 'checkout', reason: 'p99', expectedVersion: 11 })]);
    expect(polls).toBe(3);
    expect(output.lines).toEqual([
      'rollout checkout aborted (every user on stable) at config version 12',
      expect.stringMatching(/^all 1 live proxies run config version 12 or newer \(waited \d+ ms\)$/),
    ]);
  });

  it('fails --wait with the proxies still behind when the timeout passes', async () => {
    const { client } = fakeClient((verb) =>
      verb === 'status'
        ? { ok: true, version: 5, rollouts: [], proxies: [{ proxyId: 'slow-1', configVersion: 4, lastSeen: '' }] }
        : { ok: true, version: 5, rollouts: [] },
    );
    const failure = await lifecycleCommand('pause')(client, parseCliArgs(['pause', 'checkout', '--wait', '--timeout', '100ms']), capture()).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(GraylaneError);
    expect((failure as GraylaneError).code).toBe('GRAYLANE_UNAVAILABLE');
    expect((failure as Error).message).toMatch(/1 of 1 live proxies still run an older version than 5 after 100 ms: slow-1@4/);
  });

  it('needs NAME and --to for rollback-config, and prints history as a table with the diff', async () => {
    const { client } = fakeClient(() => ({
      ok: true,
      version: 9,
      rollouts: [],
      history: [
        { version: 9, at: '2026-11-26T12:00:00.000Z', actor: 'ana', command: 'weight', reason: 'ramp', state: 'progressing', changes: [{ path: '/spec/traffic/weight', from: 10, to: 25 }] },
      ],
    }));
    await expect(rollbackConfigCommand(client, parseCliArgs(['rollback-config', 'checkout']), capture())).rejects.toThrow(/--to VERSION/);
    const output = capture();
    await historyCommand(client, parseCliArgs(['history', 'checkout']), output);
    expect((output.lines[0] ?? '').split('\n')).toEqual([
      expect.stringMatching(/^VERSION\s+AT\s+BY\s+COMMAND\s+STATE\s+REASON$/),
      expect.stringMatching(/^9\s+2026-11-26T12:00:00Z\s+ana\s+weight\s+progressing\s+ramp$/),
      '    /spec/traffic/weight: 10 -> 25',
    ]);
    expect(output.lines).toHaveLength(1);
  });

  it('fits history to the terminal after an apply that changed every field, and keeps --json whole', async () => {
    const created = Array.from({ length: 12 }, (_, i) => ({ path: `/spec/field${i}`, to: `http://10.0.${i}.10:8080/a/long/path/to/show/the/width/of/the/terminal` }));
    const history: HistoryEntryV1[] = [
      { version: 3, at: '2026-11-26T12:05:00.000Z', actor: 'ana', command: 'weight', state: 'progressing', changes: [{ path: '/spec/traffic/weight', from: 10, to: 25 }] },
      { version: 2, at: '2026-11-26T12:00:00.000Z', actor: 'ana', command: 'apply', reason: 'first release', state: 'progressing', changes: created },
    ];
    const { client } = fakeClient(() => ({ ok: true, version: 3, rollouts: [], history }));
    const terminal = { ...capture(), columns: 80 };
    await historyCommand(client, parseCliArgs(['history', 'checkout']), terminal);
    const lines = terminal.lines.join('\n').split('\n');
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80);
    // The weight row stays short: the apply's diff no longer pads it.
    expect(lines.slice(0, 3)).toEqual([
      expect.stringMatching(/^VERSION\s+AT\s+BY\s+COMMAND\s+STATE\s+REASON$/),
      expect.stringMatching(/^3\s+2026-11-26T12:05:00Z\s+ana\s+weight\s+progressing$/),
      '    /spec/traffic/weight: 10 -> 25',
    ]);
    expect(lines[3]).toMatch(/^2\s+2026-11-26T12:00:00Z\s+ana\s+apply\s+progressing\s+first release$/);
    // Each change on its own line, cut with an ellipsis at the terminal's edge; past eight, a count.
    expect(lines[4]).toBe(`${'    /spec/field0: - -> "http://10.0.0.10:8080/a/long/path/to/show/the/width/of/the/terminal"'.slice(0, 79)}…`);
    expect(lines.filter((line) => line.startsWith('    /spec/field'))).toHaveLength(8);
    expect(lines).toContain('    … 4 more');
    expect(lines.at(-1)).toBe('(cut to fit; `graylane history checkout --json` prints every change whole)');

    const piped = capture();
    await historyCommand(client, parseCliArgs(['history', 'checkout']), piped);
    for (const line of piped.lines.join('\n').split('\n')) expect(line.length).toBeLessThanOrEqual(120);

    const json = capture();
    await historyCommand(client, parseCliArgs(['history', 'checkout', '--json']), json);
    expect(JSON.parse(json.lines[0] ?? '')).toMatchObject({ history: [{ version: 3 }, { version: 2, changes: created }] });
  });
});
