import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** Writes a Rollout manifest named `name` with `spec` to a new temp folder, for `graylane apply -f`; returns its path. */
export function writeRolloutFile(name: string, spec: Record<string, unknown>): string {
  const file = join(mkdtempSync(join(tmpdir(), `graylane-${name}-`)), `${name}.yaml`);
  writeFileSync(file, stringify({ apiVersion: 'graylane.dev/v1', kind: 'Rollout', metadata: { name }, spec }));
  return file;
}
