import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { GraylaneError } from '@graylane/contracts';

/** The rollout spec in a YAML or JSON file (`-` reads standard input), not yet validated. */
export function readSpecFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (error) {
    throw new GraylaneError('GRAYLANE_VALIDATION', `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    // YAML is a superset of JSON, so one parser reads both.
    const value: unknown = parseYaml(text);
    if (value === null || typeof value !== 'object') throw new Error('expected a mapping with apiVersion, kind, metadata and spec');
    return value;
  } catch (error) {
    throw new GraylaneError('GRAYLANE_BAD_JSON', `${path} is not a valid YAML or JSON document: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
