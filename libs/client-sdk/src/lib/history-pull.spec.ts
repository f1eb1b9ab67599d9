import type { HistoryResult, Lane, RoomMessage } from '@live-im/contracts';
import { type HistoryPage, pullRange } from './history-pull';
import { messages, run } from './__tests__/messages';

/** A room log holding `oldest..latest` of one lane, answering like room.history. */
function log(oldest: number, latest: number) {
  const calls: Array<{ afterSeq: number; limit: number }> = [];
  const all = messages('normal', run(oldest, latest));
  const page: HistoryPage = async (lane: Lane, afterSeq: number, limit: number): Promise<HistoryResult> => {
    calls.push({ afterSeq, limit });
    const list: RoomMessage[] = all.filter((m) => m.seq > afterSeq).slice(0, limit);
    return {
      roomId: 'room-1',
      lane,
      messages: list,
      latestSeq: latest,
      oldestSeq: all.length > 0 ? oldest : 0,
    };
  };
  return { page, calls };
}

describe('pullRange', () => {
  it('pages through a range larger than one page', async () => {
    const { page, calls } = log(1, 1000);
    const found = await pullRange(page, { lane: 'normal', fromSeq: 11, toSeq: 460 });
    expect(found.map((m) => m.seq)).toEqual(run(11, 460));
    expect(calls).toEqual([
      { afterSeq: 10, limit: 200 },
      { afterSeq: 210, limit: 200 },
      { afterSeq: 410, limit: 50 },
    ]);
  });

  it('stops when the rest is older than the log keeps', async () => {
    const { page, calls } = log(300, 400);
    const gone = await pullRange(page, { lane: 'normal', fromSeq: 1, toSeq: 250 });
    expect(gone).toEqual([]);
    expect(calls).toHaveLength(1);
    const part = await pullRange(page, { lane: 'normal', fromSeq: 290, toSeq: 310 });
    expect(part.map((m) => m.seq)).toEqual(run(300, 310));
  });
});
