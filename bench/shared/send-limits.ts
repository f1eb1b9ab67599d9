/**
 * room-service's shipped send limits (apps/room-service/src/config.ts; keep in step): each user
 * may send USER_RATE_POINTS messages per USER_RATE_WINDOW_SEC, a room takes ROOM_RATE_POINTS per
 * ROOM_RATE_WINDOW_SEC. A bench that keeps them sends through enough users instead of raising them.
 */
export const SHIPPED_USER_RATE = { points: 10, windowSec: 5 };
export const SHIPPED_ROOM_RATE = { points: 2000, windowSec: 1 };

/** Headroom over the exact share: round-robin sends and window edges must never trip a user's limit. */
const USER_HEADROOM = 1.5;

/** Users needed to send `perSec` messages round-robin without any of them over its shipped limit. */
export function sendersFor(perSec: number): number {
  const perUserPerSec = SHIPPED_USER_RATE.points / SHIPPED_USER_RATE.windowSec;
  return Math.max(1, Math.ceil((perSec / perUserPerSec) * USER_HEADROOM));
}

/**
 * The room-service overrides a send rate needs: none under the room's shipped limit (with a
 * tenth left for the run's other sends), else a room limit just above it.
 */
export function roomLimitOverrides(perSec: number): Record<string, string> {
  const roomPerSec = SHIPPED_ROOM_RATE.points / SHIPPED_ROOM_RATE.windowSec;
  if (perSec <= roomPerSec * 0.9) return {};
  return { ROOM_RATE_POINTS: String(Math.ceil(perSec * 1.2)), ROOM_RATE_WINDOW_SEC: '1' };
}
