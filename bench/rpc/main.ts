import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppProcess, WORKSPACE_ROOT, freePorts } from '@live-im/testing';
import { RpcClient, SILENT_LOGGER } from '@live-im/zmq-transport';
import { CpuMeter } from '../shared/process-cpu';
import { RunResult, runClosedLoop } from './latency';
import { BenchEcho, benchPayload } from './echo-contract';
import { benchNestTcp, forkReady, stopChild, warmupCalls } from './tcp-baseline';

/**
 * bench/rpc: one trivial handler called through the broker (client → broker → worker, three
 * processes) against the same handler behind NestJS's TCP transport called directly (two
 * processes), in the same run, with the same concurrency and call count.
 */
const CALLS = Number(process.env['BENCH_CALLS'] ?? 100_000);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 64);
/** `bare`: serve ours with the framework-free RpcWorker instead of the NestJS worker (comparison only). */
const BARE_WORKER = process.env['BENCH_WORKER'] === 'bare';

async function benchOurs(): Promise<RunResult> {
  const [front, back, http] = (await freePorts(3)) as [number, number, number];
  const broker = await AppProcess.start('rpc-broker', {
    httpPort: http,
    label: 'bench-broker',
    nodeArgs: process.execArgv,
    env: {
      LOG_LEVEL: 'warn',
      RPC_FRONTEND_BIND: `tcp://127.0.0.1:${front}`,
      RPC_BACKEND_BIND: `tcp://127.0.0.1:${back}`,
    },
  });
  const worker = await forkReady(BARE_WORKER ? 'bare-echo-worker.js' : 'zmq-echo-worker.js', { BENCH_BROKER_BACKEND: `tcp://127.0.0.1:${back}` });
  const client = new RpcClient({ brokers: [`tcp://127.0.0.1:${front}`], logger: SILENT_LOGGER });
  client.start();
  const call = (i: number) =>
    client.call(BenchEcho.pattern, benchPayload(i), { timeoutMs: BenchEcho.timeoutMs, idempotent: true });
  const cpu = new CpuMeter({ client: process.pid, broker: broker.pid, worker: worker.pid ?? -1 });
  try {
    await runClosedLoop('warm-up', warmupCalls(CALLS), CONCURRENCY, call);
    cpu.start();
    const name = BARE_WORKER ? 'live-im RPC, bare RpcWorker' : 'live-im RPC via broker';
    const result = await runClosedLoop(name, CALLS, CONCURRENCY, call);
    return { ...result, cpuUsPerCall: cpu.perCallUs(CALLS) };
  } finally {
    await client.close();
    await stopChild(worker);
    await broker.stop();
  }
}

function show(result: RunResult): void {
  process.stdout.write(
    `${result.name.padEnd(32)} ${String(result.reqPerSec).padStart(8)} req/s  ` +
      `p50 ${result.p50Ms.toFixed(3)} ms  p99 ${result.p99Ms.toFixed(3)} ms  ` +
      `(${result.calls} calls, ${result.failures} failed, ${result.seconds.toFixed(2)} s)\n` +
      `${''.padEnd(32)} CPU per call: ${Object.entries(result.cpuUsPerCall ?? {})
        .map(([name, us]) => `${name} ${us} µs`)
        .join(', ')}\n`,
  );
}

async function main(): Promise<void> {
  process.stdout.write(`bench/rpc: ${CALLS} calls, concurrency ${CONCURRENCY}, 1 client process\n`);
  const baseline = await benchNestTcp(CALLS, CONCURRENCY);
  show(baseline);
  const ours = await benchOurs();
  show(ours);
  const ratio = Math.round((ours.reqPerSec / baseline.reqPerSec) * 100) / 100;
  process.stdout.write(`ratio ours/baseline: ${ratio}x (goal >= 2x)\n`);
  const dir = join(WORKSPACE_ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const result = {
    ours: ours.reqPerSec,
    baseline: baseline.reqPerSec,
    ratio,
    p99_ms: ours.p99Ms,
    p50_ms: ours.p50Ms,
    baseline_p50_ms: baseline.p50Ms,
    baseline_p99_ms: baseline.p99Ms,
    cpu_us_per_call: { ours: ours.cpuUsPerCall, baseline: baseline.cpuUsPerCall },
    calls: CALLS,
    concurrency: CONCURRENCY,
    failures: { ours: ours.failures, baseline: baseline.failures },
    measured_at: new Date().toISOString(),
    machine: `${process.platform} ${process.arch}, node ${process.version}`,
  };
  if (BARE_WORKER) process.stdout.write('comparison run (BENCH_WORKER=bare): bench/results/rpc.json not written\n');
  else writeFileSync(join(dir, 'rpc.json'), `${JSON.stringify(result, null, 2)}\n`);
  if (ours.failures > 0 || baseline.failures > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/rpc failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
