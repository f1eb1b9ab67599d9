import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { AppProcess, WORKSPACE_ROOT, freePorts, testBusEnv, testBusSecurity } from '@live-im/testing';
import { RPC_EAGER_PAIRS, RpcClient, SILENT_LOGGER } from '@live-im/zmq-transport';
import { CpuMeter } from '../shared/process-cpu';
import { RunResult, runClosedLoop } from './latency';
import { BenchEcho, benchPayload } from './echo-contract';
import { forkReady, stopChild, warmupCalls } from './child-processes';
import { benchBrokered, benchNest } from './nest-baselines';
import { BROKERED_TRANSPORTS, TRANSPORT_LABELS } from './nest-transports';
import { BrokeredOutcome, RpcResults, assembleRpcResults, goalLines, ratioOf } from './rpc-results';
import { SECURE_RATIO_GOAL, writeSecureResults } from '../shared/secure-results';

/**
 * bench/rpc: one trivial handler called through the broker (client → broker → worker, three
 * processes) against what a NestJS team would pick instead, each a server process called from
 * this one: NestJS's TCP and gRPC transports (direct, two processes) and its NATS, Redis and
 * RabbitMQ transports (through that broker server on loopback; skipped when it does not answer).
 * All in the same run, with the same concurrency and call count.
 */
const CALLS = Number(process.env['BENCH_CALLS'] ?? 100_000);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 64);
/** `bare`: serve ours with the framework-free RpcWorker instead of the NestJS worker (comparison only). */
const BARE_WORKER = process.env['BENCH_WORKER'] === 'bare';
/**
 * `ours`: measure ours alone, no baseline (profiling: its per-process CPU per call is what moves).
 * `tcp,ours`: NestJS TCP then ours, `BENCH_ROUNDS` times (default 1), with the ratio of each
 * round: a same-run comparison that is short enough for a shared host. Neither writes rpc.json.
 */
const ONLY = process.env['BENCH_ONLY'];
const OURS_ONLY = ONLY === 'ours';
const TCP_AND_OURS = ONLY === 'tcp,ours';
/**
 * `secure`: the cost of CURVE alone: ours with the bus plain, then with CURVE and the ZAP
 * allow-lists (every socket secured, as deployed), same calls; writes the rpc_* fields of
 * bench/results/secure.json. No baseline.
 */
const SECURE_ONLY = ONLY === 'secure';
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 1);
/**
 * `BENCH_EAGER_PAIRS=24,32` (with BENCH_ONLY): ours once per size, the client's request batches
 * leaving at that many pairs (RpcClientOptions.eagerPairs); brokers and workers keep their own.
 * Default: the shipped RPC_EAGER_PAIRS alone.
 */
const EAGER_SIZES = (process.env['BENCH_EAGER_PAIRS'] ?? String(RPC_EAGER_PAIRS)).split(',').map(Number);

/**
 * Ours through the broker. `secure` (the shipped default): CURVE and the ZAP allow-lists on every
 * socket with the test key set; false: the bus plain (`BUS_SECURITY=off`).
 */
async function benchOurs(eagerPairs = RPC_EAGER_PAIRS, secure = true): Promise<RunResult> {
  const [front, back, http] = (await freePorts(3)) as [number, number, number];
  const broker = await AppProcess.start('rpc-broker', {
    httpPort: http,
    label: 'bench-broker',
    nodeArgs: process.execArgv,
    env: {
      LOG_LEVEL: 'warn',
      RPC_FRONTEND_BIND: `tcp://127.0.0.1:${front}`,
      RPC_BACKEND_BIND: `tcp://127.0.0.1:${back}`,
      ...(secure ? {} : { BUS_SECURITY: 'off' }),
    },
  });
  const worker = await forkReady(BARE_WORKER ? 'bare-echo-worker.js' : 'zmq-echo-worker.js', {
    BENCH_BROKER_BACKEND: `tcp://127.0.0.1:${back}`,
    ...(secure ? testBusEnv('test-worker') : { BUS_SECURITY: 'off' }),
  });
  const client = new RpcClient({
    brokers: [`tcp://127.0.0.1:${front}`],
    logger: SILENT_LOGGER,
    eagerPairs,
    security: secure ? testBusSecurity('rpc-cli') : undefined,
  });
  client.start();
  const call = (i: number) =>
    client.call(BenchEcho.pattern, benchPayload(i), { timeoutMs: BenchEcho.timeoutMs, idempotent: true });
  const cpu = new CpuMeter({ client: process.pid, broker: broker.pid, worker: worker.pid ?? -1 });
  try {
    await runClosedLoop('warm-up', warmupCalls(CALLS), CONCURRENCY, call);
    cpu.start();
    const shipped = eagerPairs === RPC_EAGER_PAIRS ? '' : `, ${eagerPairs} pairs`;
    const name = `${BARE_WORKER ? 'live-im RPC, bare RpcWorker' : 'live-im RPC via broker'}${shipped}${secure ? ', CURVE' : ', plain'}`;
    const result = await runClosedLoop(name, CALLS, CONCURRENCY, call);
    // Alone, ours is measured to a tenth of a µs: the figure its per-call work is judged by.
    return { ...result, cpuUsPerCall: cpu.perCallUs(CALLS, OURS_ONLY ? 1 : 0) };
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

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function showRatios(results: RpcResults): void {
  const lines = [
    `ours / NestJS TCP: ${results.ratio.toFixed(2)}x`,
    `ours / NestJS gRPC: ${results.ratio_grpc.toFixed(2)}x`,
  ];
  for (const [name, reqPerSec] of Object.entries(results.brokered)) {
    const best = name === results.best_brokered ? ' (best brokered)' : '';
    lines.push(`ours / NestJS ${name}: ${ratioOf(results.ours, reqPerSec).toFixed(2)}x${best}`);
  }
  for (const line of [...lines, ...goalLines(results)]) process.stdout.write(`${line}\n`);
}

/**
 * BENCH_ONLY=tcp,ours: each round measures TCP, then ours at each BENCH_EAGER_PAIRS size, and
 * prints ours / TCP; the summary gives each size's ratios over the rounds.
 */
async function compareWithTcp(): Promise<void> {
  if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`BENCH_ROUNDS must be a positive integer`);
  const ratios = new Map<number, number[]>(EAGER_SIZES.map((size) => [size, []]));
  for (let round = 1; round <= ROUNDS; round += 1) {
    const tcp = await benchNest('tcp', CALLS, CONCURRENCY);
    show(tcp);
    for (const eagerPairs of EAGER_SIZES) {
      const ours = await benchOurs(eagerPairs);
      show(ours);
      const ratio = ratioOf(ours.reqPerSec, tcp.reqPerSec);
      ratios.get(eagerPairs)?.push(ratio);
      process.stdout.write(`round ${round}, ${eagerPairs} pairs: ours / NestJS TCP ${ratio.toFixed(2)}x\n`);
    }
  }
  for (const [eagerPairs, seen] of ratios) {
    const sorted = [...seen].sort((a, b) => a - b);
    const median = sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
    process.stdout.write(
      `${eagerPairs} pairs, ours / NestJS TCP over ${ROUNDS} rounds: ` +
        `${seen.map((r) => r.toFixed(2)).join(', ')} (median ${median.toFixed(2)}x)\n`,
    );
  }
  process.stdout.write('bench/results/rpc.json not written\n');
}

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0] ?? 0;
  process.stdout.write(
    `bench/rpc: ${CALLS} calls, concurrency ${CONCURRENCY}, 1 client process; ` +
      `host load ${loadAtStart.toFixed(2)} (1 min) on ${cpus().length} CPUs\n`,
  );
  if (SECURE_ONLY) {
    const plain = await benchOurs(RPC_EAGER_PAIRS, false);
    show(plain);
    const secured = await benchOurs(RPC_EAGER_PAIRS, true);
    show(secured);
    const ratio = ratioOf(secured.reqPerSec, plain.reqPerSec);
    process.stdout.write(
      `secured / plain: ${ratio.toFixed(2)}x (goal >= ${SECURE_RATIO_GOAL}: ${ratio >= SECURE_RATIO_GOAL ? 'pass' : 'FAIL'})\n`,
    );
    writeSecureResults({
      rpc_secure: secured.reqPerSec,
      rpc_plain: plain.reqPerSec,
      rpc_ratio: round2(ratio),
    });
    if (plain.failures + secured.failures > 0) process.exitCode = 1;
    return;
  }
  if (OURS_ONLY) {
    for (const eagerPairs of EAGER_SIZES) show(await benchOurs(eagerPairs));
    process.stdout.write('ours only (BENCH_ONLY=ours): no baseline, bench/results/rpc.json not written\n');
    return;
  }
  if (TCP_AND_OURS) {
    await compareWithTcp();
    return;
  }
  const tcp = await benchNest('tcp', CALLS, CONCURRENCY);
  show(tcp);
  const ours = await benchOurs();
  show(ours);
  const grpc = await benchNest('grpc', CALLS, CONCURRENCY);
  show(grpc);
  const brokered: Record<string, BrokeredOutcome> = {};
  for (const transport of BROKERED_TRANSPORTS) {
    const outcome = await benchBrokered(transport, CALLS, CONCURRENCY);
    brokered[transport] = outcome;
    if (outcome.status === 'measured') show(outcome.result);
    else process.stdout.write(`${TRANSPORT_LABELS[transport].padEnd(32)} skipped: ${outcome.reason}\n`);
  }
  const results = assembleRpcResults({
    ours,
    tcp,
    grpc,
    brokered,
    calls: CALLS,
    concurrency: CONCURRENCY,
    measuredAt: new Date().toISOString(),
    machine: `${process.platform} ${process.arch}, node ${process.version}`,
    hostLoad: {
      load_avg_1m_start: round2(loadAtStart),
      load_avg_1m_end: round2(loadavg()[0] ?? 0),
      cpus: cpus().length,
    },
  });
  showRatios(results);
  if (results.busy_host) {
    process.stdout.write(
      `busy host (load ${results.host_load.load_avg_1m_start} on ${results.host_load.cpus} CPUs before the run): ` +
        "these figures are not comparable with a quiet machine's\n",
    );
  }
  if (BARE_WORKER) {
    process.stdout.write('comparison run (BENCH_WORKER=bare): bench/results/rpc.json not written\n');
  } else {
    const dir = join(WORKSPACE_ROOT, 'bench/results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'rpc.json'), `${JSON.stringify(results, null, 2)}\n`);
  }
  if (Object.values(results.failures).some((count) => count > 0)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/rpc failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
