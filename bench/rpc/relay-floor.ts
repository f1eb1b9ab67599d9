import { ChildProcess, fork } from 'node:child_process';
import { Dealer, Router } from 'zeromq';
import { freePorts } from '@live-im/testing';
import { CpuMeter } from '../shared/process-cpu';
import { benchNestTcp } from './nest-baselines';

/**
 * bench/rpc relay floor: the most a client → broker → worker chain of zeromq.js sockets carries on
 * this machine when no RPC code runs at all. The client keeps WINDOWS batches of BATCH calls in
 * flight (64 calls, like bench/rpc), each batch one message of BATCH 90-byte records; the "broker"
 * only swaps routing ids between its two ROUTERs; the "worker" sends each message straight back.
 * Every call of bench/rpc pays at least this, plus its own work in three processes. Printed next to
 * NestJS's TCP transport measured in the same run, as bench/rpc does.
 */
const CALLS = Number(process.env['BENCH_CALLS'] ?? 400_000);
const RECORD_BYTES = 90;
const SHAPES: Array<{ batch: number; windows: number }> = [
  { batch: 64, windows: 1 },
  { batch: 16, windows: 4 },
];

function child(role: string, args: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const proc = fork(__filename, [role, ...args], { stdio: 'inherit' });
    proc.once('message', () => resolve(proc));
    proc.once('exit', (code) => reject(new Error(`${role} exited with ${code}`)));
  });
}

async function relay(front: string, back: string): Promise<void> {
  const clients = new Router({ linger: 0, sendTimeout: 0 });
  const workers = new Router({ linger: 0, sendTimeout: 0 });
  await clients.bind(front);
  await workers.bind(back);
  let worker: Buffer | undefined;
  process.send?.('ready');
  const fromWorkers = (async () => {
    for await (const [workerId, clientId, payload] of workers) {
      if (clientId && clientId.length > 0 && payload) {
        await clients.send([clientId, payload]);
      } else if (workerId) {
        // The worker's hello: answered, so it reports ready only once the relay knows it.
        worker = workerId;
        await workers.send([workerId, Buffer.alloc(0), Buffer.alloc(0)]);
      }
    }
  })();
  for await (const [clientId, payload] of clients) {
    if (worker && clientId && payload) await workers.send([worker, clientId, payload]);
  }
  await fromWorkers;
}

async function echo(back: string): Promise<void> {
  const socket = new Dealer({ linger: 0, sendTimeout: 0 });
  socket.connect(back);
  // An empty hello tells the relay which routing id the worker has; the relay answers it.
  await socket.send([Buffer.alloc(0), Buffer.alloc(0)]);
  await socket.receive();
  process.send?.('ready');
  for await (const message of socket) await socket.send(message);
}

async function measureShape(
  front: string,
  batch: number,
  windows: number,
): Promise<{ callsPerSec: number; seconds: number }> {
  const socket = new Dealer({ linger: 0, sendTimeout: 0 });
  socket.connect(front);
  const payload = Buffer.alloc(batch * RECORD_BYTES, 0x61);
  const messages = Math.ceil(CALLS / batch);
  let sent = 0;
  let received = 0;
  const started = process.hrtime.bigint();
  for (; sent < windows; sent += 1) await socket.send(payload);
  for await (const _reply of socket) {
    received += 1;
    if (received === messages) break;
    if (sent < messages) {
      sent += 1;
      await socket.send(payload);
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  socket.close();
  return { callsPerSec: Math.round((messages * batch) / seconds), seconds };
}

async function main(): Promise<void> {
  process.stdout.write(
    `bench/rpc relay floor: ${CALLS} calls per shape, 64 in flight, ${RECORD_BYTES}-byte records\n`,
  );
  const baseline = await benchNestTcp(100_000, 64);
  process.stdout.write(
    `NestJS TCP transport, direct (baseline)   ${String(baseline.reqPerSec).padStart(8)} req/s  ` +
      `CPU per call: ${JSON.stringify(baseline.cpuUsPerCall)}\n`,
  );
  const [frontPort, backPort] = (await freePorts(2)) as [number, number];
  const front = `tcp://127.0.0.1:${frontPort}`;
  const back = `tcp://127.0.0.1:${backPort}`;
  const relayProc = await child('relay', [front, back]);
  const echoProc = await child('echo', [back]);
  try {
    for (const { batch, windows } of SHAPES) {
      const cpu = new CpuMeter({ client: process.pid, relay: relayProc.pid ?? -1, echo: echoProc.pid ?? -1 });
      cpu.start();
      const result = await measureShape(front, batch, windows);
      const perCall = cpu.perCallUs(Math.ceil(CALLS / batch) * batch);
      process.stdout.write(
        `zeromq.js relay, ${String(windows)} x ${String(batch).padEnd(2)} calls per message ${String(result.callsPerSec).padStart(8)} calls/s  ` +
          `(${(result.callsPerSec / baseline.reqPerSec).toFixed(2)}x baseline)  CPU per call: ${JSON.stringify(perCall)}\n`,
      );
    }
  } finally {
    relayProc.kill('SIGKILL');
    echoProc.kill('SIGKILL');
  }
}

const role = process.argv[2];
if (role === 'relay') {
  void relay(process.argv[3], process.argv[4]);
} else if (role === 'echo') {
  void echo(process.argv[3]);
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`relay floor failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
