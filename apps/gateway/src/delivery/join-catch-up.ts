import type { RoomEntry } from '../socket/socket-session';
import type { TextBatch } from '../socket/batch-event';
import { trimBatch } from './batch-envelopes';

/**
 * What of a live batch a socket still needs, given what its join answer covered
 * (`entry.answeredThrough`): `all`, `none`, or a copy holding only the messages past the answer
 * (a batch straddling it). The first batch beyond the answer ends the catch-up for its lane.
 */
export function unansweredPart(entry: RoomEntry, batch: TextBatch): 'all' | 'none' | TextBatch {
  const answered = entry.answeredThrough;
  const through = answered?.[batch.lane];
  if (answered === undefined || through === undefined) return 'all';
  if (batch.lastSeq <= through) return 'none';
  delete answered[batch.lane];
  if (answered.normal === undefined && answered.important === undefined) entry.answeredThrough = undefined;
  if (batch.firstSeq > through) return 'all';
  return trimBatch(batch, through) ?? 'none';
}
