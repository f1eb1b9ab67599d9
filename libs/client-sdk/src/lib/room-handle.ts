import type {
  HistoryResult,
  Lane,
  LaneMessages,
  OnlineInfo,
  OnlineListPage,
  RoomInfo,
  SendResult,
} from '@live-im/contracts';
import { newClientMsgId } from './client-msg-id';
import type { RoomEventMap } from './room-events';
import type { RoomSession } from './room-session';

/**
 * A room this client joined, as the app sees it: its events, its state, and what a viewer can do
 * in it. It stays valid across reconnects (the SDK rejoins and resumes by itself) until `leave()`,
 * a kick or the room's closing.
 */
export class RoomHandle {
  /** Made by LiveClient.joinRoom, never by the app. */
  constructor(private readonly session: RoomSession) {}

  get roomId(): string {
    return this.session.roomId;
  }

  /** The room as of the last (re)join. */
  get info(): RoomInfo {
    return this.session.info;
  }

  /** The latest presence figures (join answer, then `online` events). */
  get online(): OnlineInfo {
    return this.session.online;
  }

  /** The last seq delivered (or deliberately dropped by flow control) per lane. */
  get seqs(): { normal: number; important: number } {
    return this.session.seqs;
  }

  /** The room's recent messages when it was first joined (the backlog to show); not emitted as events. */
  get recent(): LaneMessages {
    return this.session.recent;
  }

  /** False once left, kicked or closed. */
  get active(): boolean {
    return this.session.active;
  }

  /** True while joined on a live connection (false while reconnecting). */
  get joined(): boolean {
    return this.session.joined;
  }

  /** Listens to one event; returns the function that stops listening. */
  on<E extends keyof RoomEventMap>(event: E, listener: RoomEventMap[E]): () => void {
    return this.session.events.on(event, listener);
  }

  once<E extends keyof RoomEventMap>(event: E, listener: RoomEventMap[E]): () => void {
    return this.session.events.once(event, listener);
  }

  off<E extends keyof RoomEventMap>(event: E, listener: RoomEventMap[E]): void {
    this.session.events.off(event, listener);
  }

  /** Danmaku chat. Retried with the same clientMsgId on transient failures, so never sent twice. */
  sendChat(text: string): Promise<SendResult> {
    return this.session.call(
      'chat',
      { roomId: this.roomId, text, clientMsgId: newClientMsgId() },
      'transient',
    );
  }

  /** A gift from the catalogue (`auth.gifts`). Retried like sendChat. */
  sendGift(giftId: string, count = 1): Promise<SendResult> {
    return this.session.call(
      'gift',
      { roomId: this.roomId, giftId, count, clientMsgId: newClientMsgId() },
      'transient',
    );
  }

  /** Likes are counted, not deduplicated: retried only when the server certainly did not count them. */
  like(count = 1): Promise<{ accepted: number }> {
    return this.session.call('like', { roomId: this.roomId, count }, 'unsent');
  }

  /** Messages of one lane with seq > afterSeq, oldest first (at most 200 per call). */
  history(lane: Lane, afterSeq: number, limit = 50): Promise<HistoryResult> {
    return this.session.call('history', { roomId: this.roomId, lane, afterSeq, limit }, 'transient');
  }

  /** One page of the member list; pass the previous page's `nextCursor` for the next. */
  onlineList(cursor?: string): Promise<OnlineListPage> {
    return this.session.call(
      'onlineList',
      cursor === undefined ? { roomId: this.roomId } : { roomId: this.roomId, cursor },
      'transient',
    );
  }

  /** Leaves the room: no more events, no rejoin after a reconnect. */
  leave(): Promise<void> {
    return this.session.leave();
  }
}
