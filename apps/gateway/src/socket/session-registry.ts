import { Injectable } from '@nestjs/common';
import type { SocketSession } from './socket-session';

/**
 * Every socket of this gateway, indexed by user and by joined room: the delivery paths look up
 * "the user's sockets" (targeted messages, kicks, receipts) and "the room's sockets" (slow-socket
 * checks, receipt tracking) here without scanning.
 */
@Injectable()
export class SessionRegistry {
  /**
   * Every session, by user: the user's one session, or a Set once it has several. Most users have
   * one socket, and a Set (or a second index by socket id) per connection would cost more memory
   * than the session itself. A socket's own session is its `socket.data`.
   */
  private readonly byUser = new Map<string, SocketSession | Set<SocketSession>>();
  private readonly byRoom = new Map<string, Set<SocketSession>>();
  private readonly joiningByRoom = new Map<string, Set<SocketSession>>();
  private count = 0;

  add(session: SocketSession): void {
    const present = this.byUser.get(session.userId);
    if (present === session || (present instanceof Set && present.has(session))) return;
    if (present === undefined) this.byUser.set(session.userId, session);
    else if (present instanceof Set) present.add(session);
    else this.byUser.set(session.userId, new Set([present, session]));
    this.count += 1;
  }

  remove(session: SocketSession): void {
    const present = this.byUser.get(session.userId);
    if (present === session) {
      this.byUser.delete(session.userId);
    } else if (present instanceof Set && present.delete(session)) {
      if (present.size === 1) this.byUser.set(session.userId, present.values().next().value as SocketSession);
    } else {
      return;
    }
    this.count -= 1;
  }

  get size(): number {
    return this.count;
  }

  /** Every session (scrape-time figures; not for hot paths). */
  *all(): IterableIterator<SocketSession> {
    for (const present of this.byUser.values()) {
      if (present instanceof Set) yield* present;
      else yield present;
    }
  }

  /** Every socket of a user on this gateway. */
  sessionsOf(userId: string): ReadonlySet<SocketSession> {
    const present = this.byUser.get(userId);
    if (present === undefined) return EMPTY;
    return present instanceof Set ? present : new Set([present]);
  }

  /** The user's sockets that have joined the room. */
  sessionsOfIn(userId: string, roomId: string): SocketSession[] {
    const out: SocketSession[] = [];
    for (const session of this.sessionsOf(userId)) if (session.isJoined(roomId)) out.push(session);
    return out;
  }

  /** The socket subscribed for the room and waits for room.join: its batches are held for it. */
  startJoining(roomId: string, session: SocketSession): void {
    addTo(this.joiningByRoom, roomId, session);
  }

  stopJoining(roomId: string, session: SocketSession): void {
    removeFrom(this.joiningByRoom, roomId, session);
  }

  joiningSessions(roomId: string): ReadonlySet<SocketSession> {
    return this.joiningByRoom.get(roomId) ?? EMPTY;
  }

  enterRoom(roomId: string, session: SocketSession): void {
    addTo(this.byRoom, roomId, session);
  }

  exitRoom(roomId: string, session: SocketSession): void {
    removeFrom(this.byRoom, roomId, session);
  }

  /** Sockets joined to the room on this gateway. */
  roomSessions(roomId: string): ReadonlySet<SocketSession> {
    return this.byRoom.get(roomId) ?? EMPTY;
  }

  /** Distinct users joined to the room on this gateway. */
  usersIn(roomId: string): Set<string> {
    const users = new Set<string>();
    for (const session of this.roomSessions(roomId)) users.add(session.userId);
    return users;
  }

  /** Rooms with at least one socket joined here. */
  rooms(): string[] {
    return [...this.byRoom.keys()];
  }

  get roomCount(): number {
    return this.byRoom.size;
  }
}

const EMPTY: ReadonlySet<SocketSession> = new Set();

function addTo(index: Map<string, Set<SocketSession>>, key: string, session: SocketSession): void {
  let set = index.get(key);
  if (set === undefined) {
    set = new Set();
    index.set(key, set);
  }
  set.add(session);
}

function removeFrom(index: Map<string, Set<SocketSession>>, key: string, session: SocketSession): void {
  const set = index.get(key);
  if (set === undefined) return;
  set.delete(session);
  if (set.size === 0) index.delete(key);
}
