import type { RoomMessage } from '@live-im/contracts';
import { chatLineOf, giftLineOf, likeAggregateOf, systemLineOf } from './room-messages';

function message(type: RoomMessage['type'], body: Record<string, unknown>): RoomMessage {
  return {
    id: `m-${type}`,
    roomId: 'demo',
    lane: type === 'gift' || type === 'system' ? 'important' : 'normal',
    seq: 1,
    type,
    from: { userId: 'u_alice01', nickname: 'Alice', level: 3 },
    body,
    ts: 1_700_000_000_000,
  };
}

describe('room message bodies', () => {
  it('reads chat text as it was sent, markup included', () => {
    const text = '<img src=x onerror="window.__xss=1">';
    expect(chatLineOf(message('chat', { text }))).toEqual({
      kind: 'chat',
      messageId: 'm-chat',
      from: { userId: 'u_alice01', nickname: 'Alice', level: 3 },
      text,
    });
  });

  it('reads gifts, likes and system lines', () => {
    expect(
      giftLineOf(message('gift', { giftId: 'rose', name: 'Rose', count: 3, animation: 'float', price: 1 })),
    ).toMatchObject({ kind: 'gift', giftId: 'rose', name: 'Rose', count: 3, animation: 'float', price: 1 });
    expect(likeAggregateOf(message('like', { count: 7, total: 1207 }))).toEqual({ count: 7, total: 1207 });
    expect(systemLineOf(message('system', { event: 'room_closed', reason: 'stream over' }))).toMatchObject({
      event: 'room_closed',
      text: 'The live has ended: stream over',
    });
    expect(systemLineOf(message('system', { event: 'notice', text: 'Lottery at 9 pm' }))?.text).toBe(
      'Lottery at 9 pm',
    );
    expect(systemLineOf(message('system', { event: 'pk_started' }))?.text).toBe('pk_started');
  });

  it('skips bodies that do not fit, and messages of another type', () => {
    expect(chatLineOf(message('chat', { text: 42 }))).toBeUndefined();
    expect(chatLineOf(message('custom', { text: 'hi' }))).toBeUndefined();
    expect(giftLineOf(message('gift', { giftId: 'rose' }))).toBeUndefined();
    expect(likeAggregateOf(message('like', { total: -1, count: 1 }))).toBeUndefined();
    expect(systemLineOf(message('system', { text: 'no event' }))).toBeUndefined();
  });
});
