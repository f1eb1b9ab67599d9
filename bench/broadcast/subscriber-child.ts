import type { BusSecurity } from '@live-im/config';
import { RoomSubscriber, SILENT_BROADCAST_LOGGER } from '@live-im/broadcast';

/**
 * The receiving end of bench/broadcast, in its own process: joins every room, counts logical
 * messages (the `count` of each batch) and, for one batch in SAMPLE_EVERY, parses the body to
 * measure publish → delivery latency from the `ts` each envelope carries.
 */
const SAMPLE_EVERY = 50;

interface Command {
  managerRouter: string;
  managerPub: string;
  rooms: string[];
  expected: number;
  /** The bus key pair and trust list for a secured run; absent for a plain one. */
  security?: BusSecurity;
}

function start(command: Command): void {
  const subscriber = new RoomSubscriber({
    managerRouter: command.managerRouter,
    managerPub: command.managerPub,
    id: `bench-sub-${process.pid}`,
    region: 'home',
    logger: SILENT_BROADCAST_LOGGER,
    security: command.security,
  });
  let delivered = 0;
  let batches = 0;
  let reported = false;
  let firstAt = 0n;
  const latencies: number[] = [];
  subscriber.onBatch((batch) => {
    if (delivered === 0) firstAt = process.hrtime.bigint();
    delivered += batch.count;
    batches += 1;
    if (batches % SAMPLE_EVERY === 0) {
      const now = Date.now();
      for (const envelope of JSON.parse(batch.body.toString('utf8')) as Array<{ ts: number }>)
        latencies.push(now - envelope.ts);
    }
    if (delivered >= command.expected && !reported) {
      reported = true;
      const seconds = Number(process.hrtime.bigint() - firstAt) / 1e9;
      latencies.sort((a, b) => a - b);
      const p99 = latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * 0.99) - 1)] ?? 0;
      const p50 = latencies[Math.floor(latencies.length / 2)] ?? 0;
      process.send?.({ done: { delivered, batches, seconds, p50, p99, gaps: subscriber.stats.gaps } });
    }
  });
  void subscriber.start().then(() => {
    for (const room of command.rooms) subscriber.join(room);
    const ready = setInterval(() => {
      if (subscriber.connected.length > 0) {
        clearInterval(ready);
        process.send?.({ ready: true });
      }
    }, 20);
  });
  // The publisher keeps a bounded number of messages in flight, paced by these reports.
  setInterval(() => process.send?.({ progress: delivered }), 5).unref();
}

process.on('message', (command: Command | { stop: true }) => {
  if ('stop' in command) process.exit(0);
  else start(command);
});
