// parse-prometheus-text-format 1.1.1 ships no types: what it returns, as its README documents.
declare module 'parse-prometheus-text-format' {
  /** One series; values stay the strings of the text format. */
  export interface PrometheusSample {
    labels?: Record<string, string>;
    /** Counters, gauges, untyped. */
    value?: string;
    /** Histograms and summaries. */
    count?: string;
    sum?: string;
    buckets?: Record<string, string>;
    quantiles?: Record<string, string>;
  }

  export interface PrometheusFamily {
    name: string;
    /** '' when the family has no HELP line. */
    help: string;
    /** 'UNTYPED' when the family has no TYPE line. */
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    metrics: PrometheusSample[];
  }

  /** Throws on a line that breaks the format. */
  export default function parsePrometheusTextFormat(text: string): PrometheusFamily[];
}
