import { curveKeyPair, Pull, Push } from 'zeromq';

/**
 * bench/broadcast/curve-cost: what CURVE costs per ZeroMQ frame and per byte, apart from the rest
 * of the broadcast path. One process, PUSH → PULL over loopback TCP, so its one libzmq I/O thread
 * does both the encrypting and the decrypting: the CPU per message with CURVE minus the same
 * without is CURVE's whole cost for one hop. Frames shaped like a node's batch (topic, batch meta,
 * a 64-envelope body), that body alone in one frame, and a small frame alone.
 *
 *   node dist/bench/bench/broadcast/curve-cost.js      (BENCH_MESSAGES per variant, default 20,000)
 *
 * CPU time, not wall time: on a shared host it still says which part costs, if not how fast.
 */
const MESSAGES = Number(process.env['BENCH_MESSAGES'] ?? 20_000);
const ROUNDS = 3;
const BODY_BYTES = 6_400;

const VARIANTS: Record<string, Buffer[]> = {
  'batch, 3 frames (topic 14 B, meta 12 B, body 6.4 KB)': [
    Buffer.alloc(14, 0x72),
    Buffer.alloc(12, 1),
    Buffer.alloc(BODY_BYTES, 0x78),
  ],
  'batch folded, 1 frame (6.4 KB + 26 B)': [Buffer.alloc(BODY_BYTES + 26, 0x78)],
  'small, 1 frame (26 B)': [Buffer.alloc(26, 1)],
};

/** CPU microseconds (user + system) of this process per message sent and received. */
async function cpuPerMessage(curve: boolean, frames: Buffer[]): Promise<number> {
  const server = curveKeyPair();
  const client = curveKeyPair();
  const pull = new Pull({
    linger: 0,
    receiveHighWaterMark: 100_000,
    ...(curve
      ? { curveServer: true, curvePublicKey: server.publicKey, curveSecretKey: server.secretKey }
      : {}),
  });
  const push = new Push({
    linger: 0,
    sendHighWaterMark: 100_000,
    ...(curve
      ? {
          curveServerKey: server.publicKey,
          curvePublicKey: client.publicKey,
          curveSecretKey: client.secretKey,
        }
      : {}),
  });
  try {
    await pull.bind('tcp://127.0.0.1:0');
    push.connect(pull.lastEndpoint ?? '');
    // The handshake (and CURVE's key exchange) stays out of the measure.
    await push.send(frames);
    await pull.receive();
    const before = process.cpuUsage();
    const reader = (async () => {
      for (let i = 0; i < MESSAGES; i += 1) await pull.receive();
    })();
    for (let i = 0; i < MESSAGES; i += 1) await push.send(frames);
    await reader;
    const used = process.cpuUsage(before);
    return (used.user + used.system) / MESSAGES;
  } finally {
    push.close();
    pull.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  process.stdout.write(`bench/broadcast/curve-cost: ${MESSAGES} messages per variant, median of ${ROUNDS}\n`);
  for (const [name, frames] of Object.entries(VARIANTS)) {
    const plain: number[] = [];
    const secured: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      plain.push(await cpuPerMessage(false, frames));
      secured.push(await cpuPerMessage(true, frames));
    }
    const [p, s] = [median(plain), median(secured)];
    process.stdout.write(
      `${name}: plain ${p.toFixed(1)} µs, CURVE ${s.toFixed(1)} µs per message (CURVE adds ${(s - p).toFixed(1)} µs)\n`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`curve-cost failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
