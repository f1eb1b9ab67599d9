import {
  type HistoryResult,
  type Lane,
  type LaneSeqs,
  type ResumePoint,
  type RoomMessage,
  RoomRpc,
  type RpcResponse,
} from '@live-im/contracts';
import { Inject, Injectable } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { GatewayRpc } from '../rpc/gateway-rpc';
import { EdgeCache } from './edge-cache';
import { readHistoryPages } from './history-pages';
import { type CacheReadKind, type CacheReadResult, EdgeCacheMetrics } from './edge-cache-metrics';
import { RoomAdmissions } from './room-admissions';

/** room.join's answer, whoever gave it. */
export type RoomJoinAnswer = RpcResponse<typeof RoomRpc.join>;

/** One lane's messages after a seq, with where they came from. */
interface LaneRange {
  messages: RoomMessage[];
  latestSeq: number;
  oldestSeq: number;
  result: CacheReadResult;
}

/**
 * The gateway's reads of a room's log: join (room.join's answer), resume and history. With the
 * edge cache on, what the cache holds is answered from it, room-service is asked only for what it
 * lacks (and its answer goes into the cache), joins are admitted together per room (room.admit),
 * and a room the cache does not know yet is warmed by its first join's room.join. Off, each is
 * one RPC as before. Clients cannot tell the two apart (docs/socket-protocol.md "Joining").
 */
@Injectable()
export class RoomReads {
  private readonly admissions: RoomAdmissions;
  /** Rooms whose warming room.join is under way: their other joins wait for it. */
  private readonly warming = new Map<string, Promise<unknown>>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly cache: EdgeCache,
    private readonly rpc: GatewayRpc,
    private readonly metrics: EdgeCacheMetrics,
  ) {
    this.admissions = new RoomAdmissions(
      (roomId, userIds) => this.rpc.call(RoomRpc.admit, { roomId, userIds }),
      config.ADMIT_WINDOW_MS,
      (users) => this.metrics.admitCall(users),
    );
  }

  get enabled(): boolean {
    return this.config.EDGE_CACHE;
  }

  /** What room.join answers for this user, from the cache where it holds the room. */
  async join(roomId: string, userId: string, resume: ResumePoint | undefined): Promise<RoomJoinAnswer> {
    if (!this.enabled) return this.rpc.call(RoomRpc.join, { roomId, userId, resume });
    const warming = this.warming.get(roomId);
    if (warming !== undefined) await warming.catch(() => undefined);
    if (this.cache.latest(roomId) === undefined) return this.warm(roomId, userId, resume);
    const room = await this.admissions.admit(roomId, userId);
    // The seqs the answer stands at, read after admission: later batches reach the socket live.
    const seqs = this.cache.latest(roomId);
    if (seqs === undefined) return this.warm(roomId, userId, resume);
    const { JOIN_RECENT_NORMAL: recentNormal, JOIN_RECENT_IMPORTANT: recentImportant } = this.config;
    const reads: Array<Promise<LaneRange>> = [
      this.range(roomId, 'important', Math.max(0, seqs.important - recentImportant), recentImportant, seqs),
      this.range(roomId, 'normal', Math.max(0, seqs.normal - recentNormal), recentNormal, seqs),
    ];
    const limit = this.config.RESUME_LIMIT;
    // A lane more than RESUME_LIMIT seqs behind gets the first RESUME_LIMIT and `complete: false`
    // (the client pages on with history): its seqs say so, without reading one message more.
    const behind = (lane: Lane, afterSeq: number) => Math.max(0, seqs[lane] - afterSeq);
    let complete = true;
    if (resume !== undefined) {
      complete =
        behind('important', resume.importantSeq) <= limit && behind('normal', resume.normalSeq) <= limit;
      reads.push(this.range(roomId, 'important', resume.importantSeq, limit, seqs));
      reads.push(this.range(roomId, 'normal', resume.normalSeq, limit, seqs));
    }
    const ranges = await Promise.all(reads);
    const [recentI, recentN] = ranges as [LaneRange, LaneRange];
    const [missedI, missedN] = ranges.slice(2) as [LaneRange?, LaneRange?];
    this.metrics.read('join', combined(ranges.map((range) => range.result)));
    return {
      room,
      seqs,
      recent: { important: recentI.messages, normal: recentN.messages },
      missed:
        missedI === undefined || missedN === undefined
          ? null
          : {
              important: missedI.messages,
              normal: missedN.messages,
              complete,
            },
    };
  }

  /** A history page: from the cache where it holds the range, the rest from room-service. */
  async history(request: {
    roomId: string;
    lane: Lane;
    afterSeq: number;
    limit: number;
  }): Promise<HistoryResult> {
    if (!this.enabled) return this.rpc.call(RoomRpc.history, request);
    const { roomId, lane } = request;
    const range = await this.range(roomId, lane, request.afterSeq, request.limit, undefined, 'history');
    return { roomId, lane, messages: range.messages, latestSeq: range.latestSeq, oldestSeq: range.oldestSeq };
  }

  /** The first join of a room the cache does not know: room.join answers it and fills the cache. */
  private async warm(
    roomId: string,
    userId: string,
    resume: ResumePoint | undefined,
  ): Promise<RoomJoinAnswer> {
    const call = this.rpc.call(RoomRpc.join, { roomId, userId, resume });
    if (!this.warming.has(roomId)) {
      this.warming.set(roomId, call);
      const done = (): void => {
        if (this.warming.get(roomId) === call) this.warming.delete(roomId);
      };
      call.then(done, done);
    }
    const answer = await call;
    this.metrics.read('join', 'miss');
    this.cache.warm(roomId, answer.seqs, answer.recent, {
      normal: this.config.JOIN_RECENT_NORMAL,
      important: this.config.JOIN_RECENT_IMPORTANT,
    });
    return answer;
  }

  /**
   * Up to `limit` messages of a lane after `afterSeq` (through `seqs` when given): from the cache,
   * with room-service asked only for the older part the cache lacks.
   */
  private async range(
    roomId: string,
    lane: Lane,
    afterSeq: number,
    limit: number,
    seqs: LaneSeqs | undefined,
    kind?: CacheReadKind,
  ): Promise<LaneRange> {
    const through = seqs?.[lane] ?? Number.POSITIVE_INFINITY;
    if (limit === 0 || afterSeq >= through) {
      return { messages: [], latestSeq: Math.min(through, afterSeq), oldestSeq: 0, result: 'hit' };
    }
    const cached = this.cache.read(roomId, lane, afterSeq, limit);
    // A page reaching past what this gateway has delivered (a gap it is still filling, batches in
    // flight) is not the cache's to answer as complete: room-service gives the part beyond.
    if (
      cached !== undefined &&
      seqs === undefined &&
      cached.messages.length < limit &&
      afterSeq + limit > cached.latestSeq
    ) {
      const beyond = Math.max(afterSeq, cached.latestSeq);
      const answer = await readHistoryPages(this.rpc, roomId, lane, beyond, limit - cached.messages.length);
      if (kind !== undefined) this.metrics.read(kind, 'partial');
      return {
        messages: [...cached.messages, ...answer.messages.filter((message) => message.seq > beyond)],
        latestSeq: Math.max(answer.latestSeq, cached.latestSeq),
        oldestSeq: answer.oldestSeq,
        result: 'partial',
      };
    }
    if (cached !== undefined) {
      if (kind !== undefined) this.metrics.read(kind, 'hit');
      return {
        messages: upTo(cached.messages, through),
        latestSeq: Math.min(cached.latestSeq, through),
        oldestSeq: cached.oldestSeq,
        result: 'hit',
      };
    }
    const heldFrom = this.cache.heldFrom(roomId, lane);
    if (heldFrom === undefined || heldFrom > through) {
      const answer = await readHistoryPages(this.rpc, roomId, lane, afterSeq, limit);
      if (answer.messages.length < limit && seqs === undefined)
        this.cache.fill(roomId, lane, afterSeq, answer.messages, answer.latestSeq);
      if (kind !== undefined) this.metrics.read(kind, 'miss');
      return {
        messages: upTo(answer.messages, through),
        latestSeq: Math.min(answer.latestSeq, through),
        oldestSeq: answer.oldestSeq,
        result: 'miss',
      };
    }
    // The cache holds the lane from `heldFrom` on: room-service gives what lies before it.
    const lacking = Math.min(limit, heldFrom - 1 - afterSeq);
    const answer = await readHistoryPages(this.rpc, roomId, lane, afterSeq, lacking);
    const older = answer.messages.filter((message) => message.seq > afterSeq && message.seq < heldFrom);
    const reachedCache = older.length < lacking || older[older.length - 1]?.seq === heldFrom - 1;
    if (reachedCache) this.cache.fill(roomId, lane, afterSeq, older, heldFrom - 1);
    const rest =
      reachedCache && older.length < limit
        ? (this.cache.read(roomId, lane, heldFrom - 1, limit - older.length)?.messages ?? [])
        : [];
    if (kind !== undefined) this.metrics.read(kind, 'partial');
    return {
      messages: upTo([...older, ...rest], through),
      latestSeq: Math.min(Math.max(answer.latestSeq, this.cache.latest(roomId)?.[lane] ?? 0), through),
      oldestSeq: answer.oldestSeq,
      result: 'partial',
    };
  }
}

function upTo(messages: RoomMessage[], through: number): RoomMessage[] {
  if (messages.length === 0 || messages[messages.length - 1].seq <= through) return messages;
  return messages.filter((message) => message.seq <= through);
}

function combined(results: CacheReadResult[]): CacheReadResult {
  if (results.every((result) => result === 'hit')) return 'hit';
  return 'partial';
}
