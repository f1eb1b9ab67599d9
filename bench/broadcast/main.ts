import { ChildProcess, fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RoomPublisher, SILENT_BROADCAST_LOGGER } from '@live-im/broadcast';
import { AppProcess, WORKSPACE_ROOT, freePorts, testBusSecurity, waitFor } from '@live-im/testing';
import { SECURE_RATIO_GOAL, writeSecureResults } from '../shared/secure-results';
import { CpuMeter, totalMs } from '../shared/process-cpu';
import { runRawPushPull } from './raw-push-pull';

/**
 * bench/broadcast: logical messages per second through one broadcast node (publisher → node →
 * subscriber, three processes, 100-byte bodies over 100 rooms), against a raw zeromq.js
 * PUSH → PULL sending one message per send, in the same run.
 */
const MESSAGES = Number(process.env['BENCH_MESSAGES'] ?? 2_000_000);
const ROOMS = 100;
const BODY_BYTES = 100;
/** Messages handed to the publisher per turn before yielding to let its sockets write. */
const CHUNK = 5_000;
/**
 * At most this many messages published and not yet delivered: past what the subscriber can take,
 * the node's PUB socket drops at its high-water mark (a slow consumer), so an open-loop publisher
 * would measure losses, not throughput.
 */
const IN_FLIGHT = 60_000;
/**
 * `secure`: the cost of CURVE alone: ours with the bus plain, then with CURVE and the ZAP
 * allow-lists on the node and the node manager, same messages; writes the broadcast_* fields of
 * bench/results/secure.json. No raw baseline.
 */
const SECURE_ONLY = process.env['BENCH_ONLY'] === 'secure';

interface SubscriberResult {
  delivered: number;
  batches: number;
  seconds: number;
  p50: number;
  p99: number;
  gaps: number;
}

/**
 * 100-byte JSON envelopes, as room-service hands them over already encoded: one buffer per room
 * whose fixed-width seq and ts fields are rewritten, digit by digit, for each message. The
 * publisher copies a body before `publish` returns, so the buffer is reused at once: the bench's
 * own work per message stays small next to what it measures.
 */
class EnvelopeFactory {
  private readonly rooms = new Map<string, { body: Buffer; seqAt: number; tsAt: number; ts: number }>();

  make(roomId: string, seq: number, ts: number): Buffer {
    let room = this.rooms.get(roomId);
    if (!room) {
      const head = `{"id":"${roomId}","roomId":"${roomId}","lane":"normal","seq":`;
      const text = `${head}         0,"ts":0000000000000,"b":"`;
      const padded = `${text}${'x'.repeat(Math.max(0, BODY_BYTES - text.length - 2))}"}`;
      room = { body: Buffer.from(padded), seqAt: head.length, tsAt: text.indexOf('"ts":') + 5, ts: -1 };
      this.rooms.set(roomId, room);
    }
    writeDigits(room.body, room.seqAt, 10, seq);
    if (room.ts !== ts) {
      writeDigits(room.body, room.tsAt, 13, ts);
      room.ts = ts;
    }
    return room.body;
  }
}

/**
 * Writes a non-negative integer right-aligned in `width` bytes at `at`, padded with spaces on the
 * left (JSON allows whitespace between tokens; leading zeros it does not).
 */
function writeDigits(buf: Buffer, at: number, width: number, value: number): void {
  let i = at + width - 1;
  do {
    buf[i] = 0x30 + (value % 10);
    value = Math.floor(value / 10);
    i -= 1;
  } while (value > 0 && i >= at);
  while (i >= at) buf[i--] = 0x20;
}

interface OursResult extends SubscriberResult {
  msgsPerSec: number;
  /** CPU microseconds (user + system) per delivered message, per process, over the measured run. */
  cpuUsPerMessage: Record<string, number>;
  /** The system part of it (the kernel's socket work, libzmq's I/O thread's syscalls). */
  systemUsPerMessage: Record<string, number>;
}

async function benchOurs(secure: boolean): Promise<OursResult> {
  // The node and the manager run secured by default (the test key set); the plain run says off.
  const busEnv: Record<string, string> = secure ? {} : { BUS_SECURITY: 'off' };
  const [nmRouter, nmPub, nmHttp, pull, pub, nodeHttp] = (await freePorts(6)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const managerRouter = `tcp://127.0.0.1:${nmRouter}`;
  const managerPub = `tcp://127.0.0.1:${nmPub}`;
  const manager = await AppProcess.start('node-manager', {
    httpPort: nmHttp,
    label: 'bench-node-manager',
    env: {
      LOG_LEVEL: 'warn',
      NM_ROUTER_BIND: managerRouter,
      NM_PUB_BIND: managerPub,
      HEARTBEAT_MS: '250',
      ...busEnv,
    },
  });
  const node = await AppProcess.start('broadcast-node', {
    httpPort: nodeHttp,
    label: 'bench-broadcast-node',
    nodeArgs: process.execArgv,
    env: {
      LOG_LEVEL: 'warn',
      NODE_ID: 'bench-node',
      BCAST_PULL_BIND: `tcp://127.0.0.1:${pull}`,
      BCAST_PUB_BIND: `tcp://127.0.0.1:${pub}`,
      NM_ROUTER: managerRouter,
      NM_PUB: managerPub,
      HEARTBEAT_MS: '250',
      // Throughput run: flow control must not drop what we count.
      NORMAL_CAP_PER_SEC: '10000000',
      ...busEnv,
    },
  });
  const rooms = Array.from({ length: ROOMS }, (_, i) => `bench-room-${i}`);
  const subscriber: ChildProcess = fork(join(__dirname, 'subscriber-child.js'), [], { stdio: 'inherit' });
  const publisher = new RoomPublisher({
    managerRouter,
    managerPub,
    id: 'bench-publisher',
    region: 'home',
    logger: SILENT_BROADCAST_LOGGER,
    security: secure ? testBusSecurity('room-service') : undefined,
  });
  try {
    const ready = new Promise<void>((resolve) =>
      subscriber.on('message', (m: { ready?: boolean }) => m.ready && resolve()),
    );
    subscriber.send({
      managerRouter,
      managerPub,
      rooms,
      expected: MESSAGES,
      security: secure ? testBusSecurity('gateway') : undefined,
    });
    await ready;
    await publisher.start();
    await waitFor(() => publisher.ownerOf(rooms[0]) === 'bench-node', {
      timeoutMs: 15_000,
      what: 'node active',
    });
    let delivered = 0;
    let progressed: () => void = () => undefined;
    const done = new Promise<SubscriberResult>((resolve) =>
      subscriber.on('message', (m: { done?: SubscriberResult; progress?: number }) => {
        if (m.progress !== undefined) {
          delivered = m.progress;
          progressed();
        }
        if (m.done) resolve(m.done);
      }),
    );
    const cpu = new CpuMeter({ publisher: process.pid, node: node.pid, subscriber: subscriber.pid ?? -1 });
    cpu.start();
    const envelopes = new EnvelopeFactory();
    const seqs = new Array<number>(ROOMS).fill(0);
    for (let sent = 0; sent < MESSAGES; ) {
      while (sent - delivered > IN_FLIGHT) await new Promise<void>((resolve) => (progressed = resolve));
      const end = Math.min(MESSAGES, sent + CHUNK);
      // One clock reading per chunk: a chunk is made in a few milliseconds, and a ts earlier than
      // the real send time can only make the measured latency longer.
      const ts = Date.now();
      for (; sent < end; sent += 1) {
        const r = sent % ROOMS;
        const roomId = rooms[r];
        seqs[r] = (seqs[r] ?? 0) + 1;
        if (
          !publisher.publish({
            roomId,
            lane: 'normal',
            seq: seqs[r],
            body: envelopes.make(roomId, seqs[r], ts),
          })
        ) {
          throw new Error(`publisher refused a message: ${JSON.stringify(publisher.stats)}`);
        }
      }
      await publisher.flushed();
    }
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const why = fetch(`${node.url}/metrics`)
          .then((r) => r.text())
          .then((text) =>
            text
              .split('\n')
              .filter((l) => /^broadcast_node_(dropped|malformed|msgs)/.test(l))
              .join('; '),
          );
        void why.then(
          (counters) =>
            reject(new Error(`subscriber got ${delivered} of ${MESSAGES} in 60 s; node: ${counters}`)),
          () => reject(new Error(`subscriber got ${delivered} of ${MESSAGES} in 60 s`)),
        );
      }, 60_000);
    });
    const result = await Promise.race([done, stuck]).finally(() => clearTimeout(timer));
    const perMessage = (ms: number) => Math.round((ms * 1000 * 100) / result.delivered) / 100;
    const cpuUsPerMessage: Record<string, number> = {};
    const systemUsPerMessage: Record<string, number> = {};
    for (const [name, split] of Object.entries(cpu.usedSplit())) {
      cpuUsPerMessage[name] = perMessage(totalMs(split));
      systemUsPerMessage[name] = perMessage(split.systemMs);
    }
    return {
      ...result,
      msgsPerSec: Math.round(result.delivered / result.seconds),
      cpuUsPerMessage,
      systemUsPerMessage,
    };
  } finally {
    // Asked to exit, so a subscriber run with --cpu-prof writes its profile; killed if it does not.
    const exited = new Promise<void>((resolve) => subscriber.once('exit', () => resolve()));
    subscriber.send({ stop: true });
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    subscriber.kill();
    await publisher.close();
    await node.stop();
    await manager.stop();
  }
}

async function main(): Promise<void> {
  process.stdout.write(`bench/broadcast: ${MESSAGES} messages of ${BODY_BYTES} B over ${ROOMS} rooms\n`);
  if (SECURE_ONLY) {
    const plain = await benchOurs(false);
    showOurs('plain', plain);
    const secured = await benchOurs(true);
    showOurs('CURVE', secured);
    const ratio = Math.round((secured.msgsPerSec / plain.msgsPerSec) * 100) / 100;
    process.stdout.write(
      `secured / plain: ${ratio}x (goal >= ${SECURE_RATIO_GOAL}: ${ratio >= SECURE_RATIO_GOAL ? 'pass' : 'FAIL'})\n`,
    );
    writeSecureResults({
      broadcast_secure: secured.msgsPerSec,
      broadcast_plain: plain.msgsPerSec,
      broadcast_ratio: ratio,
    });
    return;
  }
  const [rawPort] = (await freePorts(1)) as [number];
  const baseline = await runRawPushPull(
    `tcp://127.0.0.1:${rawPort}`,
    Math.min(MESSAGES, 1_000_000),
    BODY_BYTES,
  );
  process.stdout.write(
    `raw zeromq.js PUSH->PULL, 1 msg/send   ${String(baseline.msgsPerSec).padStart(9)} msgs/s\n`,
  );
  const ours = await benchOurs(false);
  process.stdout.write(
    `publisher -> broadcast-node -> subscriber ${String(ours.msgsPerSec).padStart(9)} msgs/s  ` +
      `p50 ${ours.p50} ms  p99 ${ours.p99} ms  (${ours.delivered} delivered in ${ours.batches} batches, ${ours.gaps} gaps)\n`,
  );
  const cpuLine = Object.entries(ours.cpuUsPerMessage)
    .map(([name, us]) => `${name} ${us} (system ${ours.systemUsPerMessage[name]})`)
    .join(', ');
  process.stdout.write(`CPU µs per message: ${cpuLine}; the publisher's includes making each envelope\n`);
  const ratio = Math.round((ours.msgsPerSec / baseline.msgsPerSec) * 100) / 100;
  process.stdout.write(`ratio ours/baseline: ${ratio}x (goal >= 4x and >= 1,100,000 msgs/s)\n`);
  const dir = join(WORKSPACE_ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'broadcast.json'),
    `${JSON.stringify(
      {
        ours: ours.msgsPerSec,
        baseline: baseline.msgsPerSec,
        ratio,
        p99_ms: ours.p99,
        p50_ms: ours.p50,
        messages: MESSAGES,
        rooms: ROOMS,
        body_bytes: BODY_BYTES,
        batches: ours.batches,
        cpu_us_per_message: ours.cpuUsPerMessage,
        system_us_per_message: ours.systemUsPerMessage,
        measured_at: new Date().toISOString(),
        machine: `${process.platform} ${process.arch}, node ${process.version}`,
      },
      null,
      2,
    )}\n`,
  );
}

function showOurs(
  bus: string,
  ours: { msgsPerSec: number; p50: number; p99: number; delivered: number; gaps: number },
): void {
  process.stdout.write(
    `publisher -> node -> subscriber, ${bus.padEnd(5)} ${String(ours.msgsPerSec).padStart(9)} msgs/s  ` +
      `p50 ${ours.p50} ms  p99 ${ours.p99} ms  (${ours.delivered} delivered, ${ours.gaps} gaps)\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/broadcast failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
