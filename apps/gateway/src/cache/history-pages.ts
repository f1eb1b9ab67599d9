import { type HistoryResult, type Lane, MAX_HISTORY_PAGE, RoomRpc } from '@live-im/contracts';
import type { GatewayRpc } from '../rpc/gateway-rpc';

/**
 * Up to `limit` messages of a lane after `afterSeq` from room-service's log, in as many
 * room.history calls as the limit needs (one returns at most MAX_HISTORY_PAGE): a resume may ask
 * for more than one page (RESUME_LIMIT), and a gap fill for any range. A page shorter than asked
 * means the log holds nothing more. `latestSeq` and `oldestSeq` are the last page's.
 */
export async function readHistoryPages(
  rpc: GatewayRpc,
  roomId: string,
  lane: Lane,
  afterSeq: number,
  limit: number,
): Promise<HistoryResult> {
  let answer = await rpc.call(RoomRpc.history, {
    roomId,
    lane,
    afterSeq,
    limit: Math.min(limit, MAX_HISTORY_PAGE),
  });
  const messages = [...answer.messages];
  while (messages.length < limit && answer.messages.length === MAX_HISTORY_PAGE) {
    const after = messages[messages.length - 1].seq;
    answer = await rpc.call(RoomRpc.history, {
      roomId,
      lane,
      afterSeq: after,
      limit: Math.min(limit - messages.length, MAX_HISTORY_PAGE),
    });
    const next = answer.messages.filter((message) => message.seq > after);
    if (next.length === 0) break;
    messages.push(...next);
  }
  return { ...answer, messages };
}
