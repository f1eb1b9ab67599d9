import { fork } from 'node:child_process';
import { Pull, Push } from 'zeromq';

/**
 * The baseline of bench/broadcast: raw zeromq.js PUSH → PULL between two processes, one 100-byte
 * message per send, as a naive broadcast would do. The receiver counts and reports msgs/s.
 */
export interface RawResult {
  messages: number;
  seconds: number;
  msgsPerSec: number;
}

async function receive(endpoint: string, total: number): Promise<void> {
  const pull = new Pull();
  pull.connect(endpoint);
  process.send?.({ ready: true });
  let count = 0;
  let started = 0n;
  for await (const _ of pull) {
    if (count === 0) started = process.hrtime.bigint();
    count += 1;
    if (count === total) break;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.send?.({ seconds });
  pull.close();
}

export async function runRawPushPull(endpoint: string, total: number, bodyBytes: number): Promise<RawResult> {
  const push = new Push({ sendHighWaterMark: 100_000, linger: 0 });
  await push.bind(endpoint);
  const receiver = fork(__filename, ['receive', push.lastEndpoint ?? endpoint, String(total)], {
    stdio: 'inherit',
  });
  const done = new Promise<number>((resolve, reject) => {
    receiver.on('message', (m: { ready?: boolean; seconds?: number }) => {
      if (m.seconds !== undefined) resolve(m.seconds);
    });
    receiver.once('exit', (code) =>
      code === 0 ? undefined : reject(new Error(`receiver exited with ${code}`)),
    );
  });
  await new Promise<void>((resolve) => receiver.once('message', () => resolve()));
  const body = Buffer.alloc(bodyBytes, 0x61);
  for (let i = 0; i < total; i += 1) await push.send(body);
  const seconds = await done;
  push.close();
  receiver.kill();
  return { messages: total, seconds, msgsPerSec: Math.round(total / seconds) };
}

if (process.argv[2] === 'receive') {
  void receive(String(process.argv[3]), Number(process.argv[4]));
}
