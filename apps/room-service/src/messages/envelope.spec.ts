import { envelopeParts, joinEnvelope, newMessageId } from './envelope';

describe('newMessageId', () => {
  it('is m_ + base36 ms + 8 base64url characters, unique across refills of its random pool', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5000; i += 1) ids.add(newMessageId(1_795_000_000_000));
    expect(ids.size).toBe(5000);
    for (const id of ids) expect(id).toMatch(/^m_[0-9a-z]+[A-Za-z0-9_-]{8}$/);
  });

  it('orders ids of different milliseconds by their time prefix', () => {
    const earlier = newMessageId(1_795_000_000_000);
    const later = newMessageId(1_795_000_000_001);
    expect(earlier.slice(0, -8) < later.slice(0, -8)).toBe(true);
  });
});

describe('envelopeParts', () => {
  it('joins around the seq into the envelope JSON', () => {
    const parts = envelopeParts({
      id: 'm_1',
      roomId: 'r1',
      lane: 'normal',
      type: 'chat',
      from: { userId: 'u1', nickname: 'Ann', level: 1 },
      body: { text: 'hi' },
      ts: 5,
    });
    expect(JSON.parse(joinEnvelope(parts, 42))).toEqual({
      id: 'm_1',
      roomId: 'r1',
      lane: 'normal',
      seq: 42,
      type: 'chat',
      from: { userId: 'u1', nickname: 'Ann', level: 1 },
      body: { text: 'hi' },
      ts: 5,
    });
  });
});
