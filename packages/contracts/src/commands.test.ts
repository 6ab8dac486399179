import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMAND_BODIES, COMMAND_SCHEMAS, COMMAND_VERBS, commandSubject, commandSubjectV2, JSON_SCHEMAS, LifecycleCommandV1, parseWith } from './index.js';
import { renderJsonSchemas } from './render-json-schemas.js';

describe('command verbs', () => {
  it('are every verb the config service answers, each with its subjects', () => {
    expect(COMMAND_VERBS).toEqual(
      expect.arrayContaining(['apply', 'weight', 'get', 'list', 'pause', 'resume', 'promote', 'abort', 'delete', 'history', 'rollback-config', 'status']),
    );
    for (const verb of COMMAND_VERBS) {
      expect(commandSubject(verb)).toBe(`graylane.cmd.v1.${verb}`);
      expect(commandSubjectV2('alice', verb)).toBe(`graylane.cmd.v2.alice.${verb}`);
    }
  });

  it('publish each body under its own file name, once for the verbs that share it', () => {
    const lifecycle = ['pause', 'resume', 'promote', 'abort', 'delete'] as const;
    expect(new Set(lifecycle.map((verb) => COMMAND_BODIES[verb].file))).toEqual(new Set(['lifecycle-command.v1']));
    expect(JSON_SCHEMAS['lifecycle-command.v1']).toBe(LifecycleCommandV1);
  });

  it('validate a body against its verb', () => {
    expect(parseWith(COMMAND_SCHEMAS.weight, { name: 'checkout', weight: 5 }, 'weight command')).toEqual({ name: 'checkout', weight: 5 });
    expect(() => parseWith(COMMAND_SCHEMAS['rollback-config'], { name: 'checkout' }, 'rollback-config command')).toThrow(/\/toVersion/);
  });

  it('leave no schema file behind that no schema writes', () => {
    const written = readdirSync(join(import.meta.dirname, '..', 'schemas')).filter((file) => file.endsWith('.json'));
    expect(written.sort()).toEqual(Object.keys(renderJsonSchemas()).sort());
  });
});
