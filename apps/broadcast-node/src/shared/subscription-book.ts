import { isUserChannel, roomOfTopic } from '@live-im/broadcast';

/** Rooms, or user channels (`_<userId>`): a node holds a user channel only if it owns it. */
export type TopicKind = 'room' | 'user';

/** Topics with subscribers and subscriptions, of one kind. */
export interface KindCounts {
  topics: number;
  subscriptions: number;
}

/** What one subscription frame did to its room's subscriber count. */
export interface SubscriptionChange {
  roomId: string;
  /** Subscribers of the room after the change. */
  subscribers: number;
  /** 'first': the room went from 0 to 1; 'last': from 1 to 0; 'more'/'fewer' otherwise. */
  kind: 'first' | 'more' | 'fewer' | 'last';
}

const SUBSCRIBE = 1;
const UNSUBSCRIBE = 0;

/**
 * Subscriber counts per room, fed by a verbose XPUB (every subscribe and every unsubscribe of every
 * peer, including the unsubscriptions ZeroMQ makes for a peer that disconnects). A frame is byte
 * 1 (subscribe) or 0 (unsubscribe) followed by the topic; topics that are not room topics are ignored.
 */
export class SubscriptionBook {
  private readonly counts = new Map<string, number>();
  private total = 0;
  private readonly byKind: Record<TopicKind, KindCounts> = {
    room: { topics: 0, subscriptions: 0 },
    user: { topics: 0, subscriptions: 0 },
  };
  /** Frames that were not a room subscription (other topics, junk); counted, not fatal. */
  ignored = 0;

  /** Applies one subscription frame; undefined when it changed nothing. */
  apply(frame: Buffer | undefined): SubscriptionChange | undefined {
    if (!frame || frame.length === 0 || (frame[0] !== SUBSCRIBE && frame[0] !== UNSUBSCRIBE)) {
      this.ignored += 1;
      return undefined;
    }
    const roomId = roomOfTopic(frame.subarray(1));
    if (roomId === undefined) {
      this.ignored += 1;
      return undefined;
    }
    const before = this.counts.get(roomId) ?? 0;
    const kind = this.byKind[isUserChannel(roomId) ? 'user' : 'room'];
    if (frame[0] === SUBSCRIBE) {
      this.counts.set(roomId, before + 1);
      this.total += 1;
      kind.subscriptions += 1;
      if (before === 0) kind.topics += 1;
      return { roomId, subscribers: before + 1, kind: before === 0 ? 'first' : 'more' };
    }
    // An unsubscribe for a room nobody holds (a peer unsubscribing twice) must not go negative.
    if (before === 0) {
      this.ignored += 1;
      return undefined;
    }
    this.total -= 1;
    kind.subscriptions -= 1;
    if (before === 1) {
      kind.topics -= 1;
      this.counts.delete(roomId);
      return { roomId, subscribers: 0, kind: 'last' };
    }
    this.counts.set(roomId, before - 1);
    return { roomId, subscribers: before - 1, kind: 'fewer' };
  }

  subscribersOf(roomId: string): number {
    return this.counts.get(roomId) ?? 0;
  }

  /** Rooms with at least one subscriber. */
  get rooms(): number {
    return this.counts.size;
  }

  /** Topics and subscriptions of one kind. */
  countsOf(kind: TopicKind): KindCounts {
    return { ...this.byKind[kind] };
  }

  /** Sum of all rooms' subscriber counts. */
  get subscriptions(): number {
    return this.total;
  }
}
