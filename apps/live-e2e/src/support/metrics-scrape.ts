import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';
import type { LiveApp } from './live-cluster';

/** Which samples of a family to sum: labels equal to these, or a test on the labels. */
export type LabelFilter = Record<string, string> | ((labels: Record<string, string>) => boolean);

const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];
const SUMMARY_SUFFIXES = ['_sum', '_count'];

/** One sample line: `name{label="value",...} value [timestamp]`. */
const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * One app's /metrics. Families (HELP, TYPE) come from parse-prometheus-text-format, which also
 * proves the body is the text format; values are read from the sample lines, since that parser
 * folds a labelled histogram's series into one.
 */
export class MetricsScrape {
  readonly families: ReadonlyMap<string, PrometheusFamily>;
  private readonly samples: Sample[];

  constructor(
    readonly app: string,
    text: string,
  ) {
    this.families = new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family]));
    this.samples = text
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => {
        const match = SAMPLE_LINE.exec(line);
        if (match === null) throw new Error(`not a sample line: ${line}`);
        const labels: Record<string, string> = {};
        for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) labels[key] = value;
        return { name: match[1], labels, value: Number(match[3]) };
      });
  }

  /** Fetches and parses `app`'s /metrics; throws naming the app when the body is not the text format. */
  static async of(app: LiveApp): Promise<MetricsScrape> {
    const res = await fetch(`${app.adminUrl}/metrics`);
    if (res.status !== 200) throw new Error(`${app.name}: GET /metrics answered ${res.status}`);
    const text = await res.text();
    try {
      return new MetricsScrape(app.name, text);
    } catch (error) {
      throw new Error(
        `${app.name}: /metrics does not parse: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  has(name: string): boolean {
    return this.families.has(name);
  }

  /** Families whose HELP or TYPE line is missing, as "app name: what is missing". */
  undescribed(): string[] {
    const problems: string[] = [];
    for (const family of this.families.values()) {
      if (family.help === '') problems.push(`${this.app} ${family.name}: no HELP`);
      if (family.type === 'UNTYPED') problems.push(`${this.app} ${family.name}: no TYPE`);
    }
    return problems;
  }

  /** A counter's or gauge's value, summed over the matching samples (0 when none). */
  value(name: string, filter: LabelFilter = {}): number {
    const matches =
      typeof filter === 'function'
        ? filter
        : (labels: Record<string, string>) => Object.entries(filter).every(([k, v]) => labels[k] === v);
    let total = 0;
    for (const sample of this.samples)
      if (sample.name === name && matches(sample.labels)) total += sample.value;
    return total;
  }

  /** A histogram's observation count (its _count series), summed over the matching series. */
  count(name: string, filter: LabelFilter = {}): number {
    return this.value(`${name}_count`, filter);
  }

  /**
   * Whether a name PromQL may select exists here: a family, or a histogram's _bucket/_sum/_count
   * series, or a summary's _sum/_count.
   */
  exports(name: string): boolean {
    if (this.families.has(name)) return true;
    const suffixes = (type: PrometheusFamily['type']): string[] =>
      type === 'HISTOGRAM' ? HISTOGRAM_SUFFIXES : type === 'SUMMARY' ? SUMMARY_SUFFIXES : [];
    return HISTOGRAM_SUFFIXES.some((suffix) => {
      if (!name.endsWith(suffix)) return false;
      const family = this.families.get(name.slice(0, -suffix.length));
      return family !== undefined && suffixes(family.type).includes(suffix);
    });
  }
}

/** PromQL words that look like metric names to the extraction below. */
const PROMQL_WORDS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'count',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'quantile',
  'count_values',
  'group',
  'rate',
  'irate',
  'increase',
  'delta',
  'idelta',
  'deriv',
  'histogram_quantile',
  'clamp_min',
  'clamp_max',
  'scalar',
  'vector',
  'abs',
  'time',
  'label_values',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'and',
  'or',
  'unless',
]);

/**
 * The metric names a PromQL expression (or a Grafana label_values query) selects: identifiers
 * followed by `{`, `[` or `)`, once strings, grouping clauses (`by (le, pattern)`) and `$variables`
 * are taken out.
 */
export function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    // label_values(metric, label): the label is no metric.
    .replace(/label_values\(([^,()]*(?:\{[^}]*\})?)\s*,\s*\w+\s*\)/g, '$1)')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ');
  const names = new Set<string>();
  for (const match of bare.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?=[{[)])/g)) {
    const name = match[1];
    if (!PROMQL_WORDS.has(name)) names.add(name);
  }
  return [...names];
}
