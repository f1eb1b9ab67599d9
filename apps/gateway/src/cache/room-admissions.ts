import {
  ErrorCode,
  MAX_ADMIT_USERS,
  RoomRpc,
  RpcError,
  type RoomInfo,
  type RpcResponse,
} from '@live-im/contracts';

/** One room.admit call, as the gateway makes it (GatewayRpc in production). */
export type AdmitCall = (roomId: string, userIds: string[]) => Promise<RpcResponse<typeof RoomRpc.admit>>;

interface Waiter {
  resolve: (room: RoomInfo) => void;
  reject: (error: unknown) => void;
}

/** The joins of one room waiting for their window to close. */
interface PendingRoom {
  users: Map<string, Waiter[]>;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Admission for joins answered from the edge cache, together per room (room.admit: room open,
 * which users are banned): the first join of a quiet room goes at once (on the next turn, with
 * whatever joins that turn brings), and after a call the room's next one waits until `windowMs`
 * have passed, taking every join that came meanwhile. A storm of rejoins thus costs a room at most
 * one call per window per gateway, not one per viewer, and a lone join waits for nothing. A window
 * holding MAX_ADMIT_USERS users goes at once. A banned user's join fails BANNED as room.join would;
 * a room that is gone or closed fails every join of the call.
 */
export class RoomAdmissions {
  private readonly pending = new Map<string, PendingRoom>();
  /** Rooms called within the last window: when their next call may go. */
  private readonly cooling = new Map<string, number>();

  constructor(
    private readonly call: AdmitCall,
    private readonly windowMs: number,
    private readonly onCall: (users: number) => void = () => undefined,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Rooms with joins waiting for their call. */
  get waitingRooms(): number {
    return this.pending.size;
  }

  admit(roomId: string, userId: string): Promise<RoomInfo> {
    return new Promise<RoomInfo>((resolve, reject) => {
      let room = this.pending.get(roomId);
      if (room === undefined) {
        room = { users: new Map(), timer: undefined };
        this.pending.set(roomId, room);
        const started = room;
        const wait = Math.max(0, (this.cooling.get(roomId) ?? 0) - this.now());
        room.timer = setTimeout(() => this.send(roomId, started), wait).unref();
      }
      const waiters = room.users.get(userId);
      if (waiters === undefined) room.users.set(userId, [{ resolve, reject }]);
      else waiters.push({ resolve, reject });
      if (room.users.size >= MAX_ADMIT_USERS) this.send(roomId, room);
    });
  }

  private send(roomId: string, room: PendingRoom): void {
    clearTimeout(room.timer);
    if (this.pending.get(roomId) !== room) return;
    this.pending.delete(roomId);
    const until = this.now() + this.windowMs;
    this.cooling.set(roomId, until);
    // Forgotten once its window is over, so the map holds only rooms called a moment ago.
    setTimeout(() => {
      if (this.cooling.get(roomId) === until) this.cooling.delete(roomId);
    }, this.windowMs).unref();
    const userIds = [...room.users.keys()];
    this.onCall(userIds.length);
    this.call(roomId, userIds).then(
      (answer) => {
        const banned = new Map(answer.banned.map((ban) => [ban.userId, ban.bannedUntil]));
        for (const [userId, waiters] of room.users) {
          const until = banned.get(userId);
          for (const waiter of waiters) {
            if (until === undefined) waiter.resolve(answer.room);
            else
              waiter.reject(
                new RpcError(ErrorCode.BANNED, `banned from room ${roomId}`, { bannedUntil: until }),
              );
          }
        }
      },
      (error: unknown) => {
        for (const waiters of room.users.values()) for (const waiter of waiters) waiter.reject(error);
      },
    );
  }
}
