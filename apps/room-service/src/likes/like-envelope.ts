import { SYSTEM_SENDER } from '@live-im/contracts';
import { envelopeParts } from '../messages/envelope';

/** A like aggregate's JSON around its two numbers known only in Redis: `head .. seq .. mid .. total .. tail`. */
export interface LikeEnvelopeParts {
  head: string;
  mid: string;
  tail: string;
}

const TOTAL_MARK = '"total":0}';

/** The aggregate of `count` likes, from the system, on the normal lane: body {count, total}. */
export function likeEnvelopeParts(id: string, roomId: string, count: number, ts: number): LikeEnvelopeParts {
  const parts = envelopeParts({
    id,
    roomId,
    lane: 'normal',
    type: 'like',
    from: SYSTEM_SENDER,
    body: { count, total: 0 },
    ts,
  });
  // The body is the only place the mark can occur: the rest is ids, the system sender and numbers.
  const at = parts.tail.indexOf(TOTAL_MARK);
  return {
    head: parts.head,
    mid: parts.tail.slice(0, at + '"total":'.length),
    tail: parts.tail.slice(at + TOTAL_MARK.length - 1),
  };
}
