/**
 * A strict parser of the Prometheus text exposition format (0.0.4), for
 * checking `/metrics`: prom-client ships no parser. Throws on any line that
 * is not a valid comment or sample, on a sample outside its declared family,
 * on a family declared twice, on duplicate series, and on a histogram whose
 * buckets are not cumulative or whose +Inf bucket differs from its count.
 */

/** One sample: its full name, labels and value. */
export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** One metric family. */
export interface ParsedFamily {
  name: string;
  type: string;
  help: string;
  samples: ParsedSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(text: string, line: string): number {
  // Prometheus reads values with Go's strconv.ParseFloat: Inf and NaN in any case.
  const lower = text.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (lower === 'nan') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value ${JSON.stringify(text)} in: ${line}`);
  return Number(text);
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq === -1) throw new Error(`bad labels in: ${line}`);
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new Error(`bad label name ${JSON.stringify(name)} in: ${line}`);
    if (name in labels) throw new Error(`label ${name} twice in: ${line}`);
    if (text[eq + 1] !== '"') throw new Error(`unquoted label value in: ${line}`);
    let value = '';
    let j = eq + 2;
    for (;;) {
      const c = text[j];
      if (c === undefined) throw new Error(`unterminated label value in: ${line}`);
      if (c === '"') break;
      if (c === '\\') {
        const next = text[j + 1];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`bad escape in: ${line}`);
        j += 2;
      } else {
        value += c;
        j++;
      }
    }
    labels[name] = value;
    i = j + 1;
    if (i < text.length) {
      if (text[i] !== ',') throw new Error(`expected , between labels in: ${line}`);
      i++;
    }
  }
  return labels;
}

function familyOf(sampleName: string, families: Map<string, ParsedFamily>): ParsedFamily | undefined {
  const exact = families.get(sampleName);
  if (exact !== undefined) return exact;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sampleName.endsWith(suffix)) continue;
    const family = families.get(sampleName.slice(0, -suffix.length));
    if (family !== undefined && (family.type === 'histogram' || (family.type === 'summary' && suffix !== '_bucket'))) return family;
  }
  return undefined;
}

/** Parse `text`; throws with the offending line on any violation. */
export function parsePrometheusText(text: string): Map<string, ParsedFamily> {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const families = new Map<string, ParsedFamily>();
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const match = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (match === null) continue; // a plain comment
      const [, kind, name, rest] = match as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`bad metric name in: ${line}`);
      let family = families.get(name);
      if (family === undefined) families.set(name, (family = { name, type: 'untyped', help: '', samples: [] }));
      if (family.samples.length > 0) throw new Error(`${kind} after samples in: ${line}`);
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`bad type in: ${line}`);
        family.type = rest;
      } else family.help = rest;
      continue;
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
    if (match === null) throw new Error(`not a sample line: ${line}`);
    const [, name, labelText, valueText] = match as unknown as [string, string, string | undefined, string];
    const family = familyOf(name, families);
    if (family === undefined) throw new Error(`sample outside any declared family: ${line}`);
    const labels = labelText === undefined ? {} : parseLabels(labelText, line);
    const key = `${name}{${Object.entries(labels).sort().map(([k, v]) => `${k}=${v}`).join(',')}}`;
    if (seen.has(key)) throw new Error(`duplicate series: ${line}`);
    seen.add(key);
    family.samples.push({ name, labels, value: parseValue(valueText, line) });
  }
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

function checkHistogram(family: ParsedFamily): void {
  const series = new Map<string, { buckets: Array<[number, number]>; count?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    let entry = series.get(key);
    if (entry === undefined) series.set(key, (entry = { buckets: [] }));
    if (sample.name.endsWith('_bucket')) {
      if (le === undefined) throw new Error(`${family.name}: bucket without le`);
      entry.buckets.push([parseValue(le, `le of ${family.name}`), sample.value]);
    } else if (sample.name.endsWith('_count')) entry.count = sample.value;
  }
  for (const [key, entry] of series) {
    const buckets = entry.buckets.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < buckets.length; i++) {
      if (buckets[i]![1] < buckets[i - 1]![1]) throw new Error(`${family.name} ${key}: buckets not cumulative`);
    }
    const last = buckets[buckets.length - 1];
    if (last === undefined || last[0] !== Infinity) throw new Error(`${family.name} ${key}: no +Inf bucket`);
    if (last[1] !== entry.count) throw new Error(`${family.name} ${key}: +Inf bucket ${last[1]} != count ${entry.count}`);
  }
}

/** The value of one series (labels must match exactly those given), or undefined. */
export function sampleValue(families: Map<string, ParsedFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  const family = familyOf(name, families);
  const wanted = Object.entries(labels);
  for (const sample of family?.samples ?? []) {
    if (sample.name !== name) continue;
    if (wanted.every(([k, v]) => sample.labels[k] === v)) return sample.value;
  }
  return undefined;
}

/** Every series name with its label names and values, for cardinality checks. */
export function seriesKeys(families: Map<string, ParsedFamily>): Set<string> {
  const keys = new Set<string>();
  for (const family of families.values()) {
    for (const sample of family.samples) keys.add(`${sample.name}${JSON.stringify(sample.labels)}`);
  }
  return keys;
}
