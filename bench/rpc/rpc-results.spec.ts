import { RunResult } from './latency';
import { HostLoad, RpcRunInput, assembleRpcResults, goalLines, ratioOf } from './rpc-results';

function run(name: string, reqPerSec: number, p99Ms = 2, failures = 0): RunResult {
  return {
    name,
    calls: 1000,
    failures,
    seconds: 1000 / reqPerSec,
    reqPerSec,
    p50Ms: 1,
    p99Ms,
    cpuUsPerCall: { client: 10 },
  };
}

const QUIET: HostLoad = { load_avg_1m_start: 0.2, load_avg_1m_end: 1.8, cpus: 2 };

function input(overrides: Partial<RpcRunInput> = {}): RpcRunInput {
  return {
    ours: run('ours', 45_000, 4.2),
    tcp: run('tcp', 40_000, 3),
    grpc: run('grpc', 9_000, 12),
    brokered: {
      nats: { status: 'measured', result: run('nats', 15_000, 9) },
      redis: { status: 'measured', result: run('redis', 12_000, 11) },
      rabbitmq: { status: 'skipped', reason: 'no server answers at 127.0.0.1:5672' },
    },
    calls: 1000,
    concurrency: 64,
    measuredAt: '2026-12-07T13:00:00.000Z',
    machine: 'linux x64, node v20.20.2',
    hostLoad: QUIET,
    ...overrides,
  };
}

describe('assembleRpcResults', () => {
  it('keeps ours, baseline (TCP) and ratio, and adds the brokered figures against the best of them', () => {
    const results = assembleRpcResults(input());
    expect(results).toMatchObject({
      ours: 45_000,
      baseline: 40_000,
      ratio: 1.13,
      brokered: { nats: 15_000, redis: 12_000 },
      best_brokered: 'nats',
      ratio_brokered: 3,
      grpc: 9_000,
      ratio_grpc: 5,
      skipped: { rabbitmq: 'no server answers at 127.0.0.1:5672' },
      failures: { ours: 0, baseline: 0, grpc: 0, nats: 0, redis: 0 },
      p99_ms: 4.2,
      baseline_p99_ms: 3,
      busy_host: false,
    });
    expect(Object.keys(results.transports)).toEqual(['ours', 'tcp', 'grpc', 'nats', 'redis']);
    expect(results.transports['redis']).toEqual({
      req_per_s: 12_000,
      p50_ms: 1,
      p99_ms: 11,
      failures: 0,
      cpu_us_per_call: { client: 10 },
    });
  });

  it('picks the fastest brokered transport whatever the order they ran in', () => {
    const results = assembleRpcResults(
      input({
        brokered: {
          rabbitmq: { status: 'measured', result: run('rabbitmq', 5_000) },
          redis: { status: 'measured', result: run('redis', 18_000) },
          nats: { status: 'measured', result: run('nats', 15_000) },
        },
      }),
    );
    expect(results.best_brokered).toBe('redis');
    expect(results.ratio_brokered).toBe(2.5);
  });

  it('judges each goal: ratio to TCP, ratio to the best brokered, p99', () => {
    expect(assembleRpcResults(input()).goals).toEqual({
      ratio_tcp: { goal: 'ours >= 1.0x NestJS TCP', value: 1.13, unit: 'x', pass: true },
      ratio_brokered: { goal: 'ours >= 3.0x the best brokered transport', value: 3, unit: 'x', pass: true },
      ours_p99_ms: { goal: 'ours p99 <= 5 ms', value: 4.2, unit: 'ms', pass: true },
    });
    const slow = assembleRpcResults(input({ ours: run('ours', 39_000, 5.5) }));
    expect(goalLines(slow)).toEqual([
      'goal ours >= 1.0x NestJS TCP: 0.98x FAIL',
      'goal ours >= 3.0x the best brokered transport: 2.60x FAIL',
      'goal ours p99 <= 5 ms: 5.5 ms FAIL',
    ]);
    const even = assembleRpcResults(input({ ours: run('ours', 40_000) }));
    expect(goalLines(even)[0]).toBe('goal ours >= 1.0x NestJS TCP: 1.00x PASS');
  });

  it('leaves the brokered ratio and its goal unmeasured when every brokered transport was skipped', () => {
    const results = assembleRpcResults(
      input({
        brokered: {
          nats: { status: 'skipped', reason: 'no server answers at 127.0.0.1:4222' },
          redis: { status: 'skipped', reason: 'no server answers at 127.0.0.1:6379' },
        },
      }),
    );
    expect(results).toMatchObject({ brokered: {}, best_brokered: null, ratio_brokered: null });
    expect(results.goals.ratio_brokered).toMatchObject({ value: null, pass: null });
    expect(goalLines(results)).toEqual([
      'goal ours >= 1.0x NestJS TCP: 1.13x PASS',
      'goal ours >= 3.0x the best brokered transport: no brokered transport measured NOT MEASURED',
      'goal ours p99 <= 5 ms: 4.2 ms PASS',
    ]);
  });

  it("counts every transport's failures and marks a run on a busy host", () => {
    const results = assembleRpcResults(
      input({
        brokered: { nats: { status: 'measured', result: run('nats', 15_000, 9, 3) } },
        hostLoad: { load_avg_1m_start: 11.2, load_avg_1m_end: 12, cpus: 2 },
      }),
    );
    expect(results.failures).toEqual({ ours: 0, baseline: 0, grpc: 0, nats: 3 });
    expect(results.busy_host).toBe(true);
  });
});

describe('ratioOf', () => {
  it('rounds to two decimals', () => {
    expect(ratioOf(44_892, 41_159)).toBe(1.09);
    expect(ratioOf(2, 3)).toBe(0.67);
  });
});
