import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { root } from './repo.js';

export const composeDir = join(root, 'infra', 'compose');

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  restart?: string;
  healthcheck?: { test?: string[]; disable?: boolean };
  stop_grace_period?: string;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  read_only?: boolean;
  cap_drop?: string[];
  profiles?: string[];
}

export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  [field: string]: unknown;
}

/** A compose file as compose reads it: YAML merge keys (`<<`) resolved, `${…}` left as text. */
export function readCompose(file: string): ComposeFile {
  return parse(readFileSync(join(composeDir, file), 'utf8'), { merge: true }) as ComposeFile;
}

/** Compose's duration syntax (`1m30s`, `20s`, `500ms`) in milliseconds. */
export function durationMs(text: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001 };
  let total = 0;
  const pattern = /(\d+(?:\.\d+)?)(ms|us|h|m|s)/g;
  const consumed = [...text.matchAll(pattern)].map((match) => {
    total += Number(match[1]) * (units[match[2] ?? 's'] ?? 0);
    return match[0];
  });
  if (consumed.join('') !== text) throw new Error(`not a compose duration: ${text}`);
  return total;
}
