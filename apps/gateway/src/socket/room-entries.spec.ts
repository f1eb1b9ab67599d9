import { RoomEntries } from './room-entries';
import type { RoomEntry } from './socket-session';

const entry = (state: RoomEntry['state']): RoomEntry => ({ state });

describe('RoomEntries', () => {
  it('behaves as a Map of room ids, from none to one to several and back', () => {
    const rooms = new RoomEntries();
    const a = entry('joining');
    const b = entry('joined');
    const c = entry('joined');
    expect(rooms.size).toBe(0);
    expect(rooms.get('a')).toBeUndefined();
    expect(rooms.delete('a')).toBe(false);
    rooms.set('a', a);
    expect(rooms.get('a')).toBe(a);
    expect(rooms.get('b')).toBeUndefined();
    expect([...rooms]).toEqual([['a', a]]);
    const a2 = entry('joined');
    rooms.set('a', a2);
    expect(rooms.size).toBe(1);
    rooms.set('b', b);
    rooms.set('c', c);
    expect(rooms.size).toBe(3);
    expect([...rooms]).toEqual([
      ['a', a2],
      ['b', b],
      ['c', c],
    ]);
    expect(rooms.delete('b')).toBe(true);
    expect(rooms.get('b')).toBeUndefined();
    expect(rooms.delete('a')).toBe(true);
    expect(rooms.delete('c')).toBe(true);
    expect(rooms.size).toBe(0);
    expect([...rooms]).toEqual([]);
    rooms.set('d', a);
    expect(rooms.get('d')).toBe(a);
  });
});
