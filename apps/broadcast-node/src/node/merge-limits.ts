/** How the node orders, merges and caps a room's messages (docs/broadcast-protocol.md "Merging, lanes, flow control"). */
export interface MergeLimits {
  /** How long a room's normal messages wait for company before leaving as one frame. */
  windowMs: number;
  /** A normal window this full leaves at once. */
  maxMessages: number;
  /** Normal messages published per room per second, before subscriber scaling. */
  capPerSec: number;
  /** Extra normal messages per second per subscriber of the room (0: no scaling). */
  capPerSubscriber: number;
  /** How long a message that arrived ahead of a missing seq waits for it (0: never waits). */
  reorderHoldMs: number;
}

export const DEFAULT_MERGE_LIMITS: MergeLimits = {
  windowMs: 20,
  maxMessages: 64,
  capPerSec: 500,
  capPerSubscriber: 0,
  reorderHoldMs: 40,
};

/** The batch meta's count is a u16. */
export const MAX_MESSAGES_PER_FRAME = 65_535;
