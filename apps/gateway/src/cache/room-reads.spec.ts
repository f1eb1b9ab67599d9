import {
  type Lane,
  MAX_HISTORY_PAGE,
  type RoomMessage,
  RoomRpc,
  type RpcContract,
  type RoomInfo,
} from '@live-im/contracts';
import type { GatewayConfig } from '../config';
import type { GatewayRpc } from '../rpc/gateway-rpc';
import { EdgeCache } from './edge-cache';
import type { EdgeCacheMetrics } from './edge-cache-metrics';
import { RoomReads } from './room-reads';

const ROOM = 'room-1';
/** The room's log: every seq 1..LATEST of the normal lane, the important lane empty. */
const LATEST = 2_000;

function message(seq: number, lane: Lane = 'normal'): RoomMessage {
  return {
    id: `id-${lane}-${seq}`,
    roomId: ROOM,
    seq,
    lane,
    type: 'chat',
    from: { userId: 'u_sender01', nickname: 'sender', level: 1 },
    body: { text: `m${seq}` },
    ts: 1000 + seq,
  };
}

const room: RoomInfo = {
  roomId: ROOM,
  title: 'a room',
  ownerId: 'u_owner0001',
  status: 'open',
  createdAt: 1,
  closedAt: null,
};

/**
 * room-service as the gateway sees it through the broker: each request checked against its
 * contract first (what room-service's handler does, answering INVALID_ARGUMENT), then answered
 * from a log of seqs 1..LATEST.
 */
class ContractCheckingRoomService {
  readonly calls: Array<{ pattern: string; request: unknown }> = [];

  call(contract: RpcContract, payload: unknown): Promise<unknown> {
    const request: unknown = contract.request.parse(payload);
    this.calls.push({ pattern: contract.pattern, request });
    if (contract.pattern === RoomRpc.history.pattern) {
      const { lane, afterSeq, limit } = request as { lane: Lane; afterSeq: number; limit: number };
      const last = lane === 'normal' ? Math.min(LATEST, afterSeq + limit) : 0;
      const messages: RoomMessage[] = [];
      for (let seq = afterSeq + 1; seq <= last; seq += 1) messages.push(message(seq, lane));
      const latestSeq = lane === 'normal' ? LATEST : 0;
      return Promise.resolve({ roomId: ROOM, lane, messages, latestSeq, oldestSeq: latestSeq > 0 ? 1 : 0 });
    }
    if (contract.pattern === RoomRpc.admit.pattern) {
      return Promise.resolve({ room, seqs: { normal: LATEST, important: 0 }, banned: [] });
    }
    return Promise.reject(new Error(`unexpected call ${contract.pattern}`));
  }
}

const config = {
  EDGE_CACHE: true,
  RESUME_LIMIT: 200,
  JOIN_RECENT_NORMAL: 30,
  JOIN_RECENT_IMPORTANT: 20,
  ADMIT_WINDOW_MS: 0,
} as GatewayConfig;

const metrics = { read: () => undefined, admitCall: () => undefined } as unknown as EdgeCacheMetrics;

function setUp(resumeLimit = 200) {
  const cache = new EdgeCache({
    messages: { normal: 100, important: 100 },
    bytes: { normal: 1_000_000, important: 1_000_000 },
    totalBytes: 10_000_000,
  });
  // The cache knows the room through LATEST and holds only its last 100 normal messages.
  const recent: RoomMessage[] = [];
  for (let seq = LATEST - 99; seq <= LATEST; seq += 1) recent.push(message(seq));
  cache.warm(
    ROOM,
    { normal: LATEST, important: 0 },
    { normal: recent, important: [] },
    {
      normal: 100,
      important: 100,
    },
  );
  const roomService = new ContractCheckingRoomService();
  const reads = new RoomReads(
    { ...config, RESUME_LIMIT: resumeLimit },
    cache,
    roomService as unknown as GatewayRpc,
    metrics,
  );
  return { reads, roomService };
}

describe('RoomReads', () => {
  it('resumes a viewer far behind the cache through room.history pages within the contract', async () => {
    const { reads, roomService } = setUp();
    // 1,500 normal seqs behind, older than anything the cache holds: the first RESUME_LIMIT from
    // room-service, and `complete: false` from the seqs alone.
    const answer = await reads.join(ROOM, 'u_viewer001', { normalSeq: 500, importantSeq: 0 });

    expect(answer.missed?.normal.map((m) => m.seq)).toEqual(Array.from({ length: 200 }, (_, i) => 501 + i));
    expect(answer.missed?.complete).toBe(false);
    const history = roomService.calls.filter((call) => call.pattern === RoomRpc.history.pattern);
    expect(history.length).toBe(1);
    for (const call of history)
      expect((call.request as { limit: number }).limit).toBeLessThanOrEqual(MAX_HISTORY_PAGE);
  });

  it('reads a RESUME_LIMIT above one history page in pages of at most MAX_HISTORY_PAGE', async () => {
    const { reads, roomService } = setUp(300);
    const answer = await reads.join(ROOM, 'u_viewer001', { normalSeq: 500, importantSeq: 0 });

    expect(answer.missed?.normal.map((m) => m.seq)).toEqual(Array.from({ length: 300 }, (_, i) => 501 + i));
    expect(answer.missed?.complete).toBe(false);
    const history = roomService.calls.filter((call) => call.pattern === RoomRpc.history.pattern);
    expect(history.map((call) => (call.request as { limit: number }).limit)).toEqual([200, 100]);
  });

  it('says complete when the lane is exactly RESUME_LIMIT behind', async () => {
    const { reads } = setUp();
    const answer = await reads.join(ROOM, 'u_viewer001', { normalSeq: LATEST - 200, importantSeq: 0 });

    expect(answer.missed?.normal.length).toBe(200);
    expect(answer.missed?.complete).toBe(true);
  });

  it('answers a resume the cache holds without any history call', async () => {
    const { reads, roomService } = setUp();
    const answer = await reads.join(ROOM, 'u_viewer001', { normalSeq: LATEST - 10, importantSeq: 0 });

    expect(answer.missed?.normal.map((m) => m.seq)).toEqual(
      Array.from({ length: 10 }, (_, i) => LATEST - 9 + i),
    );
    expect(answer.missed?.complete).toBe(true);
    expect(roomService.calls.filter((call) => call.pattern === RoomRpc.history.pattern)).toEqual([]);
  });
});
