import { decodeBatchMeta, LaneCode } from '@live-im/broadcast';
import { LaneBatch } from './lane-batch';

function envelope(i: number, pad = 0): string {
  return JSON.stringify({ seq: i, text: 'x'.repeat(pad) });
}

describe('LaneBatch', () => {
  it('joins envelopes read from inside a larger buffer into one JSON array', () => {
    const source = Buffer.from(`garbage${envelope(1)}more${envelope(2, 100)}tail`);
    const first = source.indexOf('{');
    const second = source.indexOf('{', first + 1);
    const batch = new LaneBatch(LaneCode.normal);
    batch.firstSeq = 1;
    batch.append(source, first, first + envelope(1).length);
    batch.append(source, second, second + envelope(2, 100).length);
    const [topic, meta, body] = batch.take(Buffer.from('r:a:'), 2);
    expect(topic.toString()).toBe('r:a:');
    expect(decodeBatchMeta(meta)).toEqual({ lane: LaneCode.normal, count: 2, firstSeq: 1, lastSeq: 2 });
    expect(JSON.parse(body.toString())).toEqual([JSON.parse(envelope(1)), JSON.parse(envelope(2, 100))]);
  });

  it('grows past its first buffer and never touches a frame it handed out', () => {
    const batch = new LaneBatch(LaneCode.important);
    batch.firstSeq = 1;
    const bodies = Array.from({ length: 64 }, (_, i) => Buffer.from(envelope(i + 1, i * 7)));
    for (const b of bodies) batch.append(b, 0, b.length);
    const first = batch.take(Buffer.from('r:a:'), 64)[2];
    const firstCopy = Buffer.from(first);
    for (const b of bodies) batch.append(b, 0, b.length);
    const [, meta, second] = batch.take(Buffer.from('r:a:'), 128);
    expect(first.equals(firstCopy)).toBe(true);
    expect(JSON.parse(second.toString())).toHaveLength(64);
    expect(decodeBatchMeta(meta)).toMatchObject({ count: 64, firstSeq: 65, lastSeq: 128 });
    expect(batch.count).toBe(0);
  });

  it('hands a frame out in a buffer of its own size when its buffer is mostly spare', () => {
    const batch = new LaneBatch(LaneCode.normal);
    batch.firstSeq = 1;
    const big = Buffer.from(envelope(1, 20_000));
    batch.append(big, 0, big.length);
    batch.take(Buffer.from('r:a:'), 1);
    // The next buffer is sized from that big frame; a small frame must not keep it all.
    const small = Buffer.from(envelope(2));
    batch.append(small, 0, small.length);
    const body = batch.take(Buffer.from('r:a:'), 2)[2];
    expect(body.toString()).toBe(`[${envelope(2)}]`);
    // Its own copy (small copies share Node's 8 KiB pool), not the 20 KB buffer.
    expect(body.buffer.byteLength).toBeLessThanOrEqual(Buffer.poolSize);
  });
});
