// Adds up the JSON reports every package's vitest wrote and prints one closing line:
// "N passed, N failed, N skipped". Fails when a package that has tests wrote no report.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const packages = ['services', 'packages']
  .flatMap((group) => readdirSync(join(root, group)).map((name) => join(root, group, name)))
  .concat([join(root, 'test'), join(root, 'infra', 'test')]);

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const dir of packages) {
  if (!existsSync(join(dir, 'package.json'))) continue;
  const report = join(dir, '.vitest-report.json');
  if (!existsSync(report)) {
    missing.push(dir.slice(root.length + 1));
    continue;
  }
  const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = JSON.parse(readFileSync(report, 'utf8'));
  passed += numPassedTests;
  failed += numFailedTests;
  skipped += numPendingTests + numTodoTests;
}
if (missing.length > 0) console.log(`no test report from: ${missing.join(', ')}`);
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || missing.length > 0 ? 1 : 0);
