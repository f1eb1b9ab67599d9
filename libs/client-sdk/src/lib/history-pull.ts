import type { HistoryResult, Lane, RoomMessage } from '@live-im/contracts';
import type { GapRange } from './lane-cursor';

/** The most messages one `history` call may return (the contract's limit). */
export const HISTORY_PAGE_LIMIT = 200;

export type HistoryPage = (lane: Lane, afterSeq: number, limit: number) => Promise<HistoryResult>;

/**
 * The messages of `range` that the room log still holds, paging with `history` until the range
 * is covered, the log has nothing more, or what is left is older than the log keeps (`oldestSeq`).
 */
export async function pullRange(page: HistoryPage, range: GapRange): Promise<RoomMessage[]> {
  const found: RoomMessage[] = [];
  let after = range.fromSeq - 1;
  // Each page moves `after` forward by at least one seq, so this bound is never the reason to stop.
  const maxPages = range.toSeq - after + 1;
  for (let pages = 0; after < range.toSeq && pages < maxPages; pages += 1) {
    const result = await page(range.lane, after, Math.min(HISTORY_PAGE_LIMIT, range.toSeq - after));
    let last = after;
    for (const message of result.messages) {
      if (message.seq <= after || message.seq > range.toSeq) continue;
      found.push(message);
      last = Math.max(last, message.seq);
    }
    // Nothing new in range: the rest is gone (older than oldestSeq) or was never logged.
    if (last === after) break;
    after = last;
  }
  return found;
}
