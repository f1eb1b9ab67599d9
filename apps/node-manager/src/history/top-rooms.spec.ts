import type { SubscriberLoad } from '@live-im/contracts';
import { audienceOf } from './top-rooms';

function gateway(connections: number, topRooms: Array<[string, number]>): SubscriberLoad {
  const rooms = topRooms.map(([roomId, viewers]) => ({ roomId, viewers }));
  return {
    connections,
    rooms: rooms.length,
    viewers: rooms.reduce((n, r) => n + r.viewers, 0),
    topRooms: rooms,
  };
}

describe('audienceOf', () => {
  it('sums each room over the gateways and lists the biggest first, ties by room id', () => {
    const audience = audienceOf([
      gateway(7, [
        ['music', 4],
        ['chess', 2],
        ['art', 1],
      ]),
      gateway(5, [
        ['chess', 3],
        ['art', 1],
        ['zoo', 2],
      ]),
    ]);
    expect(audience).toEqual({
      viewers: 13,
      connections: 12,
      topRooms: [
        { roomId: 'chess', viewers: 5 },
        { roomId: 'music', viewers: 4 },
        { roomId: 'art', viewers: 2 },
        { roomId: 'zoo', viewers: 2 },
      ],
    });
  });

  it('keeps at most `limit` rooms, and is empty without gateways', () => {
    const many = gateway(
      30,
      Array.from({ length: 20 }, (_, i): [string, number] => [`room-${i}`, 20 - i]),
    );
    expect(audienceOf([many], 3).topRooms.map((r) => r.roomId)).toEqual(['room-0', 'room-1', 'room-2']);
    expect(audienceOf([many]).topRooms).toHaveLength(20);
    expect(audienceOf([])).toEqual({ viewers: 0, connections: 0, topRooms: [] });
  });
});
