import { ChildProcess, fork } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { Dealer, Router } from 'zeromq';
import { freePorts } from '@live-im/testing';

/**
 * bench/rpc transport floor: what one message round trip between two processes costs on this
 * machine before any RPC code runs, for zeromq.js DEALER↔ROUTER and for a plain Node TCP socket.
 * A call through the broker makes two such round trips (client↔broker↔worker).
 */
const ROUND_TRIPS = 20_000;

async function serve(kind: string, port: number): Promise<void> {
  if (kind === 'zmq') {
    const router = new Router();
    await router.bind(`tcp://127.0.0.1:${port}`);
    process.send?.('ready');
    for await (const message of router) await router.send(message);
  } else {
    createServer((socket) => socket.on('data', (data) => socket.write(data))).listen(port, '127.0.0.1', () =>
      process.send?.('ready'),
    );
  }
}

function startServer(kind: string, port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['serve', kind, String(port)], { stdio: 'inherit' });
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`${kind} echo server exited with ${code}`)));
  });
}

async function zmqRoundTrips(port: number, size: number): Promise<void> {
  const dealer = new Dealer({ linger: 0 });
  dealer.connect(`tcp://127.0.0.1:${port}`);
  const payload = Buffer.alloc(size);
  for (let i = 0; i < ROUND_TRIPS; i += 1) {
    await dealer.send(payload);
    await dealer.receive();
  }
  dealer.close();
}

function netRoundTrips(port: number, size: number): Promise<void> {
  return new Promise((resolve) => {
    const payload = Buffer.alloc(size);
    let received = 0;
    let done = 0;
    const socket = connect(port, '127.0.0.1', () => socket.write(payload));
    socket.on('data', (data) => {
      received += data.length;
      while (received >= size) {
        received -= size;
        done += 1;
        if (done === ROUND_TRIPS) {
          socket.destroy();
          resolve();
          return;
        }
        socket.write(payload);
      }
    });
  });
}

async function measure(kind: 'zmq' | 'net', size: number): Promise<void> {
  const [port] = (await freePorts(1)) as [number];
  const server = await startServer(kind, port);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await (kind === 'zmq' ? zmqRoundTrips(port, size) : netRoundTrips(port, size));
  const wallUs = Number(process.hrtime.bigint() - t0) / 1e3 / ROUND_TRIPS;
  const cpu = process.cpuUsage(cpu0);
  const cpuUs = (cpu.user + cpu.system) / ROUND_TRIPS;
  server.kill('SIGKILL');
  const name = kind === 'zmq' ? 'zeromq.js DEALER<->ROUTER' : 'node net socket';
  process.stdout.write(
    `${name.padEnd(26)} ${String(size).padStart(5)} B: round trip ${wallUs.toFixed(1)} µs, sender CPU ${cpuUs.toFixed(1)} µs\n`,
  );
}

async function main(): Promise<void> {
  process.stdout.write(`bench/rpc transport floor: ${ROUND_TRIPS} round trips, one message in flight\n`);
  for (const size of [100, 5000]) {
    await measure('net', size);
    await measure('zmq', size);
  }
}

if (process.argv[2] === 'serve') {
  void serve(process.argv[3] ?? 'zmq', Number(process.argv[4]));
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`transport floor failed: ${String(error)}\n`);
    process.exit(1);
  });
}
