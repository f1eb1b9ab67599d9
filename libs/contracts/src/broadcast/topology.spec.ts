import { HeartbeatBody, MAX_TOP_ROOMS, SubscriberLoad } from './topology';

describe('HeartbeatBody.subscriberLoad', () => {
  const load: SubscriberLoad = {
    connections: 12,
    rooms: 2,
    viewers: 12,
    topRooms: [
      { roomId: 'big-room', viewers: 9 },
      { roomId: 'small_room', viewers: 3 },
    ],
  };

  it('accepts a subscriber load, and heartbeats of members that send none', () => {
    expect(HeartbeatBody.parse({ id: 'gw-1', connected: ['bn-1'], subscriberLoad: load })).toEqual({
      id: 'gw-1',
      connected: ['bn-1'],
      subscriberLoad: load,
    });
    expect(HeartbeatBody.parse({ id: 'gw-1' })).toEqual({ id: 'gw-1' });
    const full = Array.from({ length: MAX_TOP_ROOMS }, (_, i) => ({ roomId: `room-${i}`, viewers: i }));
    expect(HeartbeatBody.safeParse({ id: 'gw-1', subscriberLoad: { ...load, topRooms: full } }).success).toBe(
      true,
    );
  });

  it.each([
    [
      'too many top rooms',
      { topRooms: Array.from({ length: MAX_TOP_ROOMS + 1 }, (_, i) => ({ roomId: `r${i}`, viewers: 1 })) },
    ],
    ['negative connections', { connections: -1 }],
    ['fractional rooms', { rooms: 1.5 }],
    ['negative viewers in all', { viewers: -1 }],
    ['negative viewers', { topRooms: [{ roomId: 'room', viewers: -2 }] }],
    ['a room id with a space', { topRooms: [{ roomId: 'bad room', viewers: 1 }] }],
    ['a user channel as a room', { topRooms: [{ roomId: '_user-1', viewers: 1 }] }],
    ['a room id of 65 characters', { topRooms: [{ roomId: 'r'.repeat(65), viewers: 1 }] }],
    ['an unknown field', { sockets: 3 }],
    ['an extra field in a top room', { topRooms: [{ roomId: 'room', viewers: 1, title: 'x' }] }],
  ])('rejects %s', (_name, change) => {
    expect(HeartbeatBody.safeParse({ id: 'gw-1', subscriberLoad: { ...load, ...change } }).success).toBe(
      false,
    );
  });

  it('rejects a subscriber load missing its fields', () => {
    expect(HeartbeatBody.safeParse({ id: 'gw-1', subscriberLoad: { connections: 1 } }).success).toBe(false);
  });
});
