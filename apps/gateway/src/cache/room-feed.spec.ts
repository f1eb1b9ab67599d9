import type { RoomBatch, RoomSubscriber } from '@live-im/broadcast';
import type { Lane, RoomMessage } from '@live-im/contracts';
import type { GatewayConfig } from '../config';
import type { GatewayLogger } from '../gateway.tokens';
import type { GatewayRpc } from '../rpc/gateway-rpc';
import { EdgeCache } from './edge-cache';
import type { EdgeCacheMetrics } from './edge-cache-metrics';
import { RoomFeed } from './room-feed';

const ROOM = 'room-1';

function message(seq: number, lane: Lane): RoomMessage {
  return {
    id: `id-${lane}-${seq}`,
    roomId: ROOM,
    seq,
    lane,
    type: 'gift',
    from: { userId: 'u_sender01', nickname: 'sender', level: 1 },
    body: { giftId: 'rose', count: 1 },
    ts: 1000 + seq,
  };
}

function batch(firstSeq: number, lastSeq: number, lane: Lane = 'important'): RoomBatch {
  const messages: RoomMessage[] = [];
  for (let seq = firstSeq; seq <= lastSeq; seq += 1) messages.push(message(seq, lane));
  return {
    roomId: ROOM,
    lane,
    firstSeq,
    lastSeq,
    count: messages.length,
    body: Buffer.from(JSON.stringify(messages)),
  } as RoomBatch;
}

/** room-service's room.history as a promise the test settles. */
class PendingHistory {
  settle: { resolve: (messages: RoomMessage[]) => void; reject: (error: Error) => void } | undefined;

  call(): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.settle = {
        resolve: (messages) =>
          resolve({ roomId: ROOM, lane: 'important', messages, latestSeq: 9, oldestSeq: 1 }),
        reject,
      };
    });
  }
}

const silent = { warn: () => undefined, error: () => undefined, info: () => undefined };
const metrics = {
  gapFill: () => undefined,
  releasedEarly: () => undefined,
} as unknown as EdgeCacheMetrics;

function setUp() {
  const cache = new EdgeCache({
    messages: { normal: 100, important: 100 },
    bytes: { normal: 1_000_000, important: 1_000_000 },
    totalBytes: 10_000_000,
  });
  const history = new PendingHistory();
  const feed = new RoomFeed(
    { EDGE_CACHE: true, GAP_FILL_WAIT_MS: 60_000 } as GatewayConfig,
    {} as RoomSubscriber,
    cache,
    history as unknown as GatewayRpc,
    metrics,
    silent as unknown as GatewayLogger,
  );
  const delivered: RoomBatch[] = [];
  feed.onBatch((b) => delivered.push(b));
  return { feed, history, delivered };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('RoomFeed.beaconSeq', () => {
  it('tells sockets the room latest for a lane it knows nothing of', () => {
    const { feed } = setUp();
    expect(feed.beaconSeq(ROOM, 'important', 7)).toBe(7);
  });

  it('holds the beacon at what this gateway delivered while its own fill may bring the rest', async () => {
    const { feed, history, delivered } = setUp();
    feed.take(batch(1, 5));
    expect(feed.beaconSeq(ROOM, 'important', 6)).toBe(5);
    expect(feed.beaconSeq(ROOM, 'important', 4)).toBe(4);

    // The subscriber reports seq 6 lost (the beacon's gap): the gateway fills it, then tells the latest.
    feed.gap({ roomId: ROOM, lane: 'important', fromSeq: 6, toSeq: 6 });
    await flush();
    expect(feed.beaconSeq(ROOM, 'important', 6)).toBe(5);
    history.settle?.resolve([message(6, 'important')]);
    await flush();
    expect(delivered.map((b) => [b.firstSeq, b.lastSeq])).toEqual([
      [1, 5],
      [6, 6],
    ]);
    expect(feed.beaconSeq(ROOM, 'important', 6)).toBe(6);
  });

  it('tells the latest once the lane’s fill failed, so clients pull it themselves', async () => {
    const { feed, history } = setUp();
    feed.take(batch(1, 5));
    feed.gap({ roomId: ROOM, lane: 'important', fromSeq: 6, toSeq: 6 });
    await flush();
    history.settle?.reject(new Error('room-service unavailable'));
    await flush();
    expect(feed.beaconSeq(ROOM, 'important', 6)).toBe(6);
  });

  it('passes a user channel’s seqs as they are', () => {
    const { feed } = setUp();
    expect(feed.beaconSeq('_u_viewer01', 'normal', 3)).toBe(3);
  });
});
