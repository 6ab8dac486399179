/** A metric family's type as the text format's TYPE line names it. */
export type PrometheusType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/** One sample line: the sample's own name (`x_bucket` for a histogram bucket), its labels and value. */
export interface PrometheusSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One family: its name, TYPE (untyped when none was given), HELP and samples. */
export interface PrometheusFamily {
  readonly name: string;
  readonly type: PrometheusType;
  readonly help: string | undefined;
  readonly samples: readonly PrometheusSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set<PrometheusType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
/** What Go's strconv.ParseFloat takes besides decimals, as Prometheus reads the text format. */
const SPECIAL_VALUES = new Map([
  ['nan', Number.NaN],
  ['inf', Infinity],
  ['+inf', Infinity],
  ['-inf', -Infinity],
]);

/** A line of a Prometheus exposition that breaks the format, with its number. */
export class PrometheusTextError extends Error {
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'PrometheusTextError';
  }
}

interface Building {
  name: string;
  type: PrometheusType | undefined;
  help: string | undefined;
  samples: PrometheusSample[];
  /** Closed once another family's line came: the format wants a family's lines together. */
  closed: boolean;
}

/**
 * Parses the Prometheus text exposition format (0.0.4) strictly, as a test's oracle: any line the
 * format does not allow is an error naming the line, and so are what Prometheus would reject or
 * silently mis-read — a TYPE after its samples, a family split in two, a duplicate series, a
 * sample name its family's type does not allow, a histogram without `+Inf`, buckets that are not
 * cumulative, or a `_count` that differs from the `+Inf` bucket.
 */
export function parsePrometheusText(text: string): Map<string, PrometheusFamily> {
  if (text !== '' && !text.endsWith('\n')) throw new PrometheusTextError(text.split('\n').length, 'the exposition must end with a newline');
  const families = new Map<string, Building>();
  const seriesSeen = new Set<string>();
  let current: Building | undefined;
  const enter = (name: string, lineNo: number): Building => {
    let family = families.get(name);
    if (family === undefined) {
      family = { name, type: undefined, help: undefined, samples: [], closed: false };
      families.set(name, family);
    } else if (family.closed) {
      throw new PrometheusTextError(lineNo, `family ${name} continues after another family began; its lines must be together`);
    }
    if (current !== undefined && current !== family) current.closed = true;
    current = family;
    return family;
  };

  const lines = text.split('\n');
  lines.forEach((line, index) => {
    const lineNo = index + 1;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const meta = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (meta === null) return; // a comment
      const [, keyword, name = '', rest = ''] = meta;
      if (!NAME.test(name)) throw new PrometheusTextError(lineNo, `invalid metric name "${name}"`);
      const family = enter(name, lineNo);
      if (keyword === 'HELP') {
        if (family.help !== undefined) throw new PrometheusTextError(lineNo, `second HELP for ${name}`);
        family.help = unescapeHelp(rest, lineNo);
        return;
      }
      if (family.type !== undefined) throw new PrometheusTextError(lineNo, `second TYPE for ${name}`);
      if (family.samples.length > 0) throw new PrometheusTextError(lineNo, `TYPE for ${name} after its samples`);
      const type = rest.trim() as PrometheusType;
      if (!TYPES.has(type)) throw new PrometheusTextError(lineNo, `unknown type "${rest}" for ${name}`);
      family.type = type;
      return;
    }
    const sample = parseSample(line, lineNo);
    const family = enter(familyOf(sample.name, current, families), lineNo);
    checkSampleName(family, sample, lineNo);
    const key = seriesKey(sample);
    if (seriesSeen.has(key)) throw new PrometheusTextError(lineNo, `duplicate series ${key}`);
    seriesSeen.add(key);
    family.samples.push(sample);
  });

  const parsed = new Map<string, PrometheusFamily>();
  for (const family of families.values()) {
    const done: PrometheusFamily = { name: family.name, type: family.type ?? 'untyped', help: family.help, samples: family.samples };
    if (done.type === 'histogram') checkHistogram(done);
    parsed.set(done.name, done);
  }
  return parsed;
}

/** The family a sample belongs to: the current one when the name is its own or one of its type's suffixes. */
function familyOf(name: string, current: Building | undefined, families: Map<string, Building>): string {
  for (const family of [current, ...families.values()]) {
    if (family === undefined) continue;
    if (name === family.name) return family.name;
    const suffixes = family.type === 'histogram' ? ['_bucket', '_sum', '_count'] : family.type === 'summary' ? ['_sum', '_count'] : [];
    if (suffixes.some((suffix) => name === `${family.name}${suffix}`)) return family.name;
  }
  return name;
}

function checkSampleName(family: Building, sample: PrometheusSample, lineNo: number): void {
  const type = family.type ?? 'untyped';
  const allowed =
    type === 'histogram'
      ? [`${family.name}_bucket`, `${family.name}_sum`, `${family.name}_count`]
      : type === 'summary'
        ? [family.name, `${family.name}_sum`, `${family.name}_count`]
        : [family.name];
  if (!allowed.includes(sample.name)) throw new PrometheusTextError(lineNo, `sample ${sample.name} does not belong to ${type} ${family.name}`);
  if (sample.name === `${family.name}_bucket` && sample.labels.le === undefined) throw new PrometheusTextError(lineNo, `bucket of ${family.name} without le`);
  if (type === 'histogram' && sample.name !== `${family.name}_bucket` && sample.labels.le !== undefined) {
    throw new PrometheusTextError(lineNo, `${sample.name} must not carry le`);
  }
  if (type === 'counter' && !(sample.value >= 0)) throw new PrometheusTextError(lineNo, `counter ${sample.name} is ${sample.value}`);
}

function checkHistogram(family: PrometheusFamily): void {
  const series = new Map<string, { buckets: [number, number][]; count?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = seriesKey({ name: '', labels: rest, value: 0 });
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (sample.name.endsWith('_bucket')) entry.buckets.push([parseValue(le ?? '', 0), sample.value]);
    else if (sample.name.endsWith('_count')) entry.count = sample.value;
  }
  for (const [key, { buckets, count }] of series) {
    const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
    const inf = sorted.at(-1);
    if (inf === undefined || inf[0] !== Infinity) throw new PrometheusTextError(0, `histogram ${family.name}${key} has no le="+Inf" bucket`);
    for (let i = 1; i < sorted.length; i++) {
      if ((sorted[i]?.[1] ?? 0) < (sorted[i - 1]?.[1] ?? 0)) throw new PrometheusTextError(0, `histogram ${family.name}${key}: buckets are not cumulative`);
    }
    if (count === undefined || count !== inf[1]) throw new PrometheusTextError(0, `histogram ${family.name}${key}: _count ${count} differs from the +Inf bucket ${inf[1]}`);
  }
}

function parseSample(line: string, lineNo: number): PrometheusSample {
  const nameMatch = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
  if (nameMatch === null) throw new PrometheusTextError(lineNo, `not a sample: ${line}`);
  const name = nameMatch[1] as string;
  let at = name.length;
  const labels: Record<string, string> = {};
  if (line[at] === '{') {
    at += 1;
    for (;;) {
      while (line[at] === ' ') at += 1;
      if (line[at] === '}') {
        at += 1;
        break;
      }
      const labelMatch = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"/.exec(line.slice(at));
      if (labelMatch === null) throw new PrometheusTextError(lineNo, `bad label at column ${at + 1}: ${line}`);
      const labelName = labelMatch[1] as string;
      if (!LABEL_NAME.test(labelName)) throw new PrometheusTextError(lineNo, `invalid label name ${labelName}`);
      if (Object.hasOwn(labels, labelName)) throw new PrometheusTextError(lineNo, `label ${labelName} given twice`);
      at += labelMatch[0].length;
      let value = '';
      for (;;) {
        const char = line[at];
        if (char === undefined) throw new PrometheusTextError(lineNo, `unterminated label value: ${line}`);
        at += 1;
        if (char === '"') break;
        if (char !== '\\') {
          value += char;
          continue;
        }
        const escaped = line[at];
        at += 1;
        if (escaped === '\\') value += '\\';
        else if (escaped === '"') value += '"';
        else if (escaped === 'n') value += '\n';
        else throw new PrometheusTextError(lineNo, `invalid escape \\${escaped ?? ''} in a label value`);
      }
      labels[labelName] = value;
      while (line[at] === ' ') at += 1;
      if (line[at] === ',') at += 1;
      else if (line[at] !== '}') throw new PrometheusTextError(lineNo, `expected , or } at column ${at + 1}: ${line}`);
    }
  }
  const rest = line.slice(at);
  const parts = rest.trim().split(/\s+/);
  if (!/^\s/.test(rest) || parts.length < 1 || parts.length > 2) throw new PrometheusTextError(lineNo, `expected " value [timestamp]" after the labels: ${line}`);
  const value = parseValue(parts[0] ?? '', lineNo);
  if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) throw new PrometheusTextError(lineNo, `invalid timestamp ${parts[1]}`);
  return { name, labels, value };
}

function parseValue(text: string, lineNo: number): number {
  const special = SPECIAL_VALUES.get(text.toLowerCase());
  if (special !== undefined) return special;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new PrometheusTextError(lineNo, `invalid value "${text}"`);
  return Number(text);
}

function unescapeHelp(text: string, lineNo: number): string {
  return text.replace(/\\(.)/g, (_all, escaped: string) => {
    if (escaped === '\\') return '\\';
    if (escaped === 'n') return '\n';
    throw new PrometheusTextError(lineNo, `invalid escape \\${escaped} in HELP`);
  });
}

function seriesKey(sample: PrometheusSample): string {
  const labels = Object.keys(sample.labels)
    .sort()
    .map((name) => `${name}="${sample.labels[name] ?? ''}"`);
  return `${sample.name}{${labels.join(',')}}`;
}

/**
 * Metric family names in a PromQL expression: every identifier that names a metric of one of
 * `prefixes`, with a histogram's or summary's `_bucket`, `_sum` and `_count` taken back to the
 * family when `families` knows it. Enough for dashboards that only query their own metrics.
 */
export function metricNamesInPromQL(expr: string, prefixes: readonly string[], families: ReadonlySet<string> = new Set()): string[] {
  // Label values and strings are not names: drop quoted text first.
  const code = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  const names = new Set<string>();
  for (const match of code.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const name = match[0];
    if (!prefixes.some((prefix) => name.startsWith(prefix))) continue;
    const base = name.replace(/_(bucket|sum|count)$/, '');
    names.add(base !== name && families.has(base) ? base : name);
  }
  return [...names].sort();
}
