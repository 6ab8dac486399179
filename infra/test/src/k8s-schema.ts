import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import type { K8sObject } from './repo.js';

// Two checks of rendered objects against the Kubernetes API schemas that the npm package
// kubernetes-models carries (generated from the Kubernetes OpenAPI spec; ServiceMonitor from the
// prometheus-operator CRDs):
// - validate(): its JSON-schema validator (types, required fields, formats). It accepts unknown
//   fields, as the OpenAPI spec does not forbid them.
// - unknownFields(): so each object is also type-checked by TypeScript as an object literal of
//   the model's interface, whose excess-property check rejects every field the API does not know
//   (a typo such as `readinesProbe` would otherwise be dropped silently by the API server).

/** Where a kind's model lives: the module path and the interface name. */
export function modelOf(object: K8sObject): { module: string; type: string } {
  if (object.apiVersion === 'monitoring.coreos.com/v1') {
    return { module: `@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/${object.kind}`, type: `I${object.kind}` };
  }
  const group = object.apiVersion.includes('/') ? object.apiVersion : object.apiVersion; // "v1" is the core group
  return { module: `kubernetes-models/${group}/${object.kind}`, type: `I${object.kind}` };
}

/** The validator's complaint about an object, or undefined when it passes. */
export async function validate(object: K8sObject): Promise<string | undefined> {
  const { module } = modelOf(object);
  const exports = (await import(module)) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = exports[object.kind];
  if (Model === undefined) return `no model ${object.kind} in ${module}`;
  try {
    new Model(object).validate();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * TypeScript's diagnostics for the objects written as literals of their model interfaces: every
 * unknown field (and wrong type) is one. `dir` must be inside this package, so that the models
 * resolve from its node_modules.
 */
export function unknownFields(objects: readonly K8sObject[], packageDir: string): string[] {
  const dir = mkdtempSync(join(packageDir, '.typecheck-'));
  try {
    const imports = new Map<string, string>();
    const lines: string[] = [];
    objects.forEach((object, index) => {
      const { module, type } = modelOf(object);
      const alias = `T${imports.size}`;
      if (!imports.has(module)) imports.set(module, alias);
      lines.push(`// ${object.kind}/${object.metadata.name}`, `export const o${index}: ${imports.get(module)} = ${JSON.stringify(object, null, 1)};`);
      void type;
    });
    const header = [...imports].map(([module, alias]) => `import type { I${module.split('/').at(-1)} as ${alias} } from '${module}';`);
    const file = join(dir, 'rendered.ts');
    writeFileSync(file, [...header, ...lines, ''].join('\n'));
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      types: [],
    });
    return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      if (diagnostic.file === undefined || diagnostic.start === undefined) return text;
      const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
      const source = diagnostic.file.text.split('\n');
      // The nearest "// Kind/name" comment above names the object.
      const owner = source.slice(0, line + 1).reverse().find((l) => l.startsWith('// ')) ?? '';
      return `${owner.slice(3)}: ${text}`;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
