import type { RoomMessage } from '@live-im/contracts';
import { type FillOutcome, GapFillQueue } from './gap-fill-queue';
import type { GapRange } from './lane-cursor';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('GapFillQueue', () => {
  it('pulls one range at a time, the important lane first', async () => {
    const pulls: Array<{ range: GapRange; answer: ReturnType<typeof deferred<RoomMessage[]>> }> = [];
    const done: Array<[GapRange, FillOutcome]> = [];
    const queue = new GapFillQueue(
      (range) => {
        const answer = deferred<RoomMessage[]>();
        pulls.push({ range, answer });
        return answer.promise;
      },
      (range, outcome) => done.push([range, outcome]),
    );
    const normalA: GapRange = { lane: 'normal', fromSeq: 1, toSeq: 2 };
    const normalB: GapRange = { lane: 'normal', fromSeq: 9, toSeq: 9 };
    const important: GapRange = { lane: 'important', fromSeq: 5, toSeq: 6 };
    queue.request(normalA);
    queue.request(normalB);
    queue.request(important);
    expect(pulls.map((p) => p.range)).toEqual([normalA]);

    pulls[0].answer.resolve([]);
    await flush();
    // The important range jumps the queued normal one.
    expect(pulls.map((p) => p.range)).toEqual([normalA, important]);
    pulls[1].answer.reject(new Error('boom'));
    await flush();
    expect(pulls.map((p) => p.range)).toEqual([normalA, important, normalB]);
    expect(done.map(([range, outcome]) => [range.lane, outcome.ok])).toEqual([
      ['normal', true],
      ['important', false],
    ]);
  });

  it('ignores the answer of a pull in flight after clear()', async () => {
    const answer = deferred<RoomMessage[]>();
    const done: GapRange[] = [];
    const queue = new GapFillQueue(
      () => answer.promise,
      (range) => done.push(range),
    );
    queue.request({ lane: 'important', fromSeq: 1, toSeq: 1 });
    queue.clear();
    answer.resolve([]);
    await flush();
    expect(done).toEqual([]);
    expect(queue.busy).toBe(false);
  });
});
