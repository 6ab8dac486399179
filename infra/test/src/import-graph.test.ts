import { describe, expect, it } from 'vitest';
import { checkImports, findCycles, importSpecifiers } from './import-graph.js';
import { root } from './repo.js';

const graph = (edges: Record<string, string[]>): Map<string, Set<string>> => new Map(Object.entries(edges).map(([node, targets]) => [node, new Set(targets)]));

describe('findCycles', () => {
  it('finds a three-file circle and a self-import, and nothing in a tree', () => {
    expect(findCycles(graph({ a: ['b'], b: ['c'], c: ['a', 'd'], d: [], e: ['e'] }))).toEqual([['a', 'b', 'c'], ['e']]);
    expect(findCycles(graph({ a: ['b', 'c'], b: ['c'], c: [] }))).toEqual([]);
  });

  it('keeps two separate circles apart', () => {
    expect(findCycles(graph({ a: ['b'], b: ['a'], c: ['d'], d: ['c', 'a'] }))).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });
});

describe('importSpecifiers', () => {
  it('reads imports, type imports, re-exports, side-effect and dynamic imports, and skips comments', () => {
    const source = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "export { c } from './c.js';",
      "export * from '@graylane/contracts';",
      "import './side-effect.js';",
      "const d = await import('./d.js');",
      "// import { x } from './commented.js';",
      "/* import { y } from './also-commented.js'; */",
      'import {\n  e,\n  f,\n} from "./multi-line.js";',
    ].join('\n');
    expect(importSpecifiers(source).sort()).toEqual(['../b.js', './a.js', './c.js', './d.js', './multi-line.js', './side-effect.js', '@graylane/contracts'].sort());
  });
});

describe('the repository', () => {
  const report = checkImports(root);

  it('has no import circle between files', () => {
    expect(report.fileCycles).toEqual([]);
  });

  it('has no import circle between workspace packages', () => {
    expect(report.packageCycles).toEqual([]);
  });

  it("imports no package's build output (dist/): only its declared exports", () => {
    expect(report.distImports).toEqual([]);
  });
});
