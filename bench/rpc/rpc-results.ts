import { RunResult } from './latency';

/** bench/rpc's goals (issue: outsiders first, benchmark). */
export const RPC_GOALS = {
  /** ours / NestJS TCP, despite the broker's extra hop. */
  minRatioTcp: 1.0,
  /** ours / the best of NestJS's brokered transports. */
  minRatioBrokered: 3.0,
  /** ours' 99th percentile latency. */
  maxP99Ms: 5,
};

/** A brokered baseline measured, or skipped (its broker does not answer) with the reason. */
export type BrokeredOutcome =
  | { status: 'measured'; result: RunResult }
  | { status: 'skipped'; reason: string };

export interface RpcRunInput {
  ours: RunResult;
  tcp: RunResult;
  grpc: RunResult;
  /** Keyed by transport name (nats, redis, rabbitmq), in the order they ran. */
  brokered: Record<string, BrokeredOutcome>;
  calls: number;
  concurrency: number;
  measuredAt: string;
  machine: string;
  /** The host's 1-minute load average when the run started and ended, and its CPU count. */
  hostLoad: HostLoad;
}

export interface HostLoad {
  load_avg_1m_start: number;
  load_avg_1m_end: number;
  cpus: number;
}

/** A host busier than this (1-minute load per CPU, before the run) gives figures not comparable with a quiet one's. */
export const BUSY_LOAD_PER_CPU = 0.5;

export function isBusyHost(load: HostLoad): boolean {
  return load.load_avg_1m_start > BUSY_LOAD_PER_CPU * load.cpus;
}

export interface GoalCheck {
  goal: string;
  value: number | null;
  unit: 'x' | 'ms';
  /** null: not measured (every brokered transport skipped). */
  pass: boolean | null;
}

export interface TransportFigures {
  req_per_s: number;
  p50_ms: number;
  p99_ms: number;
  failures: number;
  cpu_us_per_call?: Record<string, number>;
}

/** The shape of bench/results/rpc.json. */
export interface RpcResults {
  ours: number;
  /** NestJS TCP, direct. */
  baseline: number;
  /** ours / baseline. */
  ratio: number;
  /** req/s of each brokered transport measured. */
  brokered: Record<string, number>;
  /** ours / the best brokered transport; null when none was measured. */
  ratio_brokered: number | null;
  best_brokered: string | null;
  grpc: number;
  ratio_grpc: number;
  /** Brokered transports not measured, with the reason. */
  skipped: Record<string, string>;
  goals: { ratio_tcp: GoalCheck; ratio_brokered: GoalCheck; ours_p99_ms: GoalCheck };
  /** Every transport measured: ours, tcp, grpc, then the brokered ones. */
  transports: Record<string, TransportFigures>;
  p99_ms: number;
  p50_ms: number;
  baseline_p50_ms: number;
  baseline_p99_ms: number;
  cpu_us_per_call: { ours?: Record<string, number>; baseline?: Record<string, number> };
  calls: number;
  concurrency: number;
  failures: Record<string, number>;
  measured_at: string;
  machine: string;
  host_load: HostLoad;
  /** True when other work loaded the host as the run started (see isBusyHost). */
  busy_host: boolean;
}

/** a / b to two decimals. */
export function ratioOf(a: number, b: number): number {
  return Math.round((a / b) * 100) / 100;
}

function figures(result: RunResult): TransportFigures {
  return {
    req_per_s: result.reqPerSec,
    p50_ms: result.p50Ms,
    p99_ms: result.p99Ms,
    failures: result.failures,
    ...(result.cpuUsPerCall ? { cpu_us_per_call: result.cpuUsPerCall } : {}),
  };
}

/** Puts one run's figures together as bench/results/rpc.json holds them, ratios and goals included. */
export function assembleRpcResults(input: RpcRunInput): RpcResults {
  const { ours, tcp, grpc } = input;
  const brokered: Record<string, number> = {};
  const skipped: Record<string, string> = {};
  const transports: Record<string, TransportFigures> = {
    ours: figures(ours),
    tcp: figures(tcp),
    grpc: figures(grpc),
  };
  const failures: Record<string, number> = {
    ours: ours.failures,
    baseline: tcp.failures,
    grpc: grpc.failures,
  };
  let best: string | null = null;
  for (const [name, outcome] of Object.entries(input.brokered)) {
    if (outcome.status === 'skipped') {
      skipped[name] = outcome.reason;
      continue;
    }
    brokered[name] = outcome.result.reqPerSec;
    transports[name] = figures(outcome.result);
    failures[name] = outcome.result.failures;
    if (best === null || outcome.result.reqPerSec > (brokered[best] ?? 0)) best = name;
  }
  const ratio = ratioOf(ours.reqPerSec, tcp.reqPerSec);
  const ratioBrokered = best === null ? null : ratioOf(ours.reqPerSec, brokered[best] ?? 0);
  return {
    ours: ours.reqPerSec,
    baseline: tcp.reqPerSec,
    ratio,
    brokered,
    ratio_brokered: ratioBrokered,
    best_brokered: best,
    grpc: grpc.reqPerSec,
    ratio_grpc: ratioOf(ours.reqPerSec, grpc.reqPerSec),
    skipped,
    goals: {
      ratio_tcp: {
        goal: `ours >= ${RPC_GOALS.minRatioTcp.toFixed(1)}x NestJS TCP`,
        value: ratio,
        unit: 'x',
        pass: ratio >= RPC_GOALS.minRatioTcp,
      },
      ratio_brokered: {
        goal: `ours >= ${RPC_GOALS.minRatioBrokered.toFixed(1)}x the best brokered transport`,
        value: ratioBrokered,
        unit: 'x',
        pass: ratioBrokered === null ? null : ratioBrokered >= RPC_GOALS.minRatioBrokered,
      },
      ours_p99_ms: {
        goal: `ours p99 <= ${RPC_GOALS.maxP99Ms} ms`,
        value: ours.p99Ms,
        unit: 'ms',
        pass: ours.p99Ms <= RPC_GOALS.maxP99Ms,
      },
    },
    transports,
    p99_ms: ours.p99Ms,
    p50_ms: ours.p50Ms,
    baseline_p50_ms: tcp.p50Ms,
    baseline_p99_ms: tcp.p99Ms,
    cpu_us_per_call: { ours: ours.cpuUsPerCall, baseline: tcp.cpuUsPerCall },
    calls: input.calls,
    concurrency: input.concurrency,
    failures,
    measured_at: input.measuredAt,
    machine: input.machine,
    host_load: input.hostLoad,
    busy_host: isBusyHost(input.hostLoad),
  };
}

/** The goals as printed at the end of a run: one line each, PASS, FAIL or NOT MEASURED. */
export function goalLines(results: RpcResults): string[] {
  return Object.values(results.goals).map((check) => {
    const verdict = check.pass === null ? 'NOT MEASURED' : check.pass ? 'PASS' : 'FAIL';
    const value =
      check.value === null
        ? 'no brokered transport measured'
        : check.unit === 'x'
          ? `${check.value.toFixed(2)}x`
          : `${check.value} ms`;
    return `goal ${check.goal}: ${value} ${verdict}`;
  });
}
