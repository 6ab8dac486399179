import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** A directed graph: each node and the nodes it imports. */
export type Graph = ReadonlyMap<string, ReadonlySet<string>>;

/**
 * The import circles of `graph`: every strongly connected component with more than one node, or a
 * node importing itself (Tarjan's algorithm, iterative so a deep graph cannot overflow the stack).
 * Each circle is sorted, and the list is sorted by its first node, so a report reads the same every run.
 */
export function findCycles(graph: Graph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: { node: string; next: Iterator<string> }[] = [];
    const enter = (node: string): void => {
      index.set(node, counter);
      low.set(node, counter);
      counter += 1;
      stack.push(node);
      onStack.add(node);
      work.push({ node, next: (graph.get(node) ?? new Set<string>()).values() });
    };
    enter(start);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { node: string; next: Iterator<string> };
      const step = frame.next.next();
      if (!step.done) {
        const target = step.value;
        if (!index.has(target)) enter(target);
        else if (onStack.has(target)) low.set(frame.node, Math.min(low.get(frame.node) as number, index.get(target) as number));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node) as number, low.get(frame.node) as number));
      if (low.get(frame.node) !== index.get(frame.node)) continue;
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== frame.node);
      if (component.length > 1 || graph.get(frame.node)?.has(frame.node) === true) cycles.push(component.sort());
    }
  }
  return cycles.sort((a, b) => (a[0] as string).localeCompare(b[0] as string));
}

/**
 * Every module specifier a TypeScript source names: static imports and re-exports (type-only ones
 * too: a type imported back up a layer is a knot as well), side-effect imports and `import()`.
 */
export function importSpecifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [/\b(?:import|export)\s[^'";]*?\sfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g];
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  for (const pattern of patterns) for (const match of code.matchAll(pattern)) found.push(match[1] as string);
  return found;
}

/** A workspace package: its directory (relative to the repository) and its npm name. */
export interface WorkspacePackage {
  dir: string;
  name: string;
}

/** The workspace packages whose TypeScript sources are checked. */
export function workspacePackages(root: string): WorkspacePackage[] {
  const dirs = ['services', 'packages']
    .flatMap((group) => (existsSync(join(root, group)) ? readdirSync(join(root, group)).map((name) => join(group, name)) : []))
    .concat(['bench', 'test', join('infra', 'test')]);
  return dirs
    .filter((dir) => existsSync(join(root, dir, 'package.json')))
    .map((dir) => ({ dir, name: (JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as { name: string }).name }));
}

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (entry === 'node_modules' || entry === 'dist') return [];
    if (statSync(path).isDirectory()) return tsFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

/** What the import check found: circles between files, circles between packages, and imports of build output. */
export interface ImportReport {
  fileCycles: string[][];
  packageCycles: string[][];
  /** `file: specifier` for every import of a `dist/` path (another package's build output). */
  distImports: string[];
}

/** Checks the import graph of every workspace package's sources under `root`. */
export function checkImports(root: string): ImportReport {
  const packages = workspacePackages(root);
  const byName = new Map(packages.map((pkg) => [pkg.name, pkg]));
  const files = new Map<string, Set<string>>();
  const packageEdges = new Map<string, Set<string>>(packages.map((pkg) => [pkg.name, new Set<string>()]));
  const distImports: string[] = [];
  for (const pkg of packages) {
    for (const file of tsFiles(join(root, pkg.dir, 'src'))) {
      const from = relative(root, file);
      const edges = new Set<string>();
      files.set(from, edges);
      for (const specifier of importSpecifiers(readFileSync(file, 'utf8'))) {
        if (/(^|\/)dist(\/|$)/.test(specifier)) distImports.push(`${from}: ${specifier}`);
        if (specifier.startsWith('.')) {
          const target = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));
          const candidates = [target, join(target, 'index.ts'), `${target}.ts`];
          const hit = candidates.find((candidate) => candidate.endsWith('.ts') && existsSync(candidate));
          if (hit !== undefined) edges.add(relative(root, hit));
          continue;
        }
        const name = specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
        if (byName.has(name) && name !== pkg.name) packageEdges.get(pkg.name)?.add(name);
      }
    }
  }
  return { fileCycles: findCycles(files), packageCycles: findCycles(packageEdges), distImports };
}
