// Writes every published schema to schemas/<name>.json for clients in other languages.
// Run by `pnpm --filter @graylane/contracts schemas`; a test fails when the files are stale.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderJsonSchemas } from './render-json-schemas.js';

const dir = join(import.meta.dirname, '..', 'schemas');
mkdirSync(dir, { recursive: true });
for (const [file, text] of Object.entries(renderJsonSchemas())) writeFileSync(join(dir, file), text);
console.log(`wrote ${Object.keys(renderJsonSchemas()).length} schemas to ${dir}`);
