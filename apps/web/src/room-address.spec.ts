import { DEFAULT_ROOM_ID, roomAddressOf } from './room-address';

describe('roomAddressOf', () => {
  it('opens the demo room without ?room=', () => {
    expect(roomAddressOf('')).toEqual({ ok: true, roomId: DEFAULT_ROOM_ID });
    expect(roomAddressOf('?room=')).toEqual({ ok: true, roomId: 'demo' });
    expect(roomAddressOf('?other=1')).toEqual({ ok: true, roomId: 'demo' });
  });

  it('takes the room id of ?room=', () => {
    expect(roomAddressOf('?room=concert-42')).toEqual({ ok: true, roomId: 'concert-42' });
    expect(roomAddressOf('?x=1&room=R_1')).toEqual({ ok: true, roomId: 'R_1' });
  });

  it('refuses what is not a room id (a user channel, markup, too long)', () => {
    for (const given of ['_u_123456', '<script>', 'a'.repeat(65), 'a b']) {
      const address = roomAddressOf(`?room=${encodeURIComponent(given)}`);
      expect(address).toMatchObject({ ok: false, given });
    }
  });
});
