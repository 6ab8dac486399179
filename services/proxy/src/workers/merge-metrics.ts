/** One worker's Prometheus text exposition. */
export interface WorkerMetrics {
  readonly worker: string;
  readonly text: string;
}

interface Family {
  readonly meta: string[];
  readonly samples: string[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{?)/;

/**
 * The workers' `/metrics` as one exposition: every sample gets a `worker` label, so no series is
 * counted twice and `sum without (worker)` gives the whole proxy; each family's HELP and TYPE
 * appear once and its samples from all workers follow them together, as the text format requires.
 */
export function mergeWorkerMetrics(workers: readonly WorkerMetrics[]): string {
  const families = new Map<string, Family>();
  const familyOf = (name: string): Family => {
    let family = families.get(name);
    if (family === undefined) {
      family = { meta: [], samples: [] };
      families.set(name, family);
    }
    return family;
  };
  for (const { worker, text } of workers) {
    let current: string | undefined;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) {
        current = line.split(' ')[2] ?? '';
        const family = familyOf(current);
        if (!family.meta.includes(line)) family.meta.push(line);
        continue;
      }
      if (line.startsWith('#')) continue;
      const match = SAMPLE.exec(line);
      if (match === null) continue;
      const name = match[1] ?? '';
      // A histogram's _bucket, _sum and _count samples belong to the family its TYPE line named.
      const owner = current !== undefined && (name === current || name.startsWith(`${current}_`)) ? current : name;
      familyOf(owner).samples.push(withWorkerLabel(line, name, match[2] === '{', worker));
    }
  }
  const lines: string[] = [];
  for (const family of families.values()) lines.push(...family.meta, ...family.samples);
  lines.push('');
  return lines.join('\n');
}

function withWorkerLabel(line: string, name: string, hasLabels: boolean, worker: string): string {
  const label = `worker="${worker.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  if (!hasLabels) return `${name}{${label}}${line.slice(name.length)}`;
  const rest = line.slice(name.length + 1);
  return `${name}{${label}${rest.startsWith('}') ? '' : ','}${rest}`;
}
