import { RoomLossBoard } from './room-loss-board';

describe('RoomLossBoard', () => {
  it('counts each room per lane and lists the worst first', () => {
    const board = new RoomLossBoard(10);
    board.add('a', 'normal', 3);
    board.add('b', 'important', 5);
    board.add('a', 'important', 1);
    expect(board.top(5)).toEqual([
      { roomId: 'b', normal: 0, important: 5 },
      { roomId: 'a', normal: 3, important: 1 },
    ]);
    expect(board.top(1)).toEqual([{ roomId: 'b', normal: 0, important: 5 }]);
    expect(board.of('a')).toEqual({ roomId: 'a', normal: 3, important: 1 });
    expect(board.of('zz')).toEqual({ roomId: 'zz', normal: 0, important: 0 });
  });

  it('keeps at most its capacity: a bigger loss takes the place of the least, a smaller one is untracked', () => {
    const board = new RoomLossBoard(2);
    board.add('a', 'normal', 1);
    board.add('b', 'normal', 4);
    board.add('c', 'normal', 2);
    expect(board.size).toBe(2);
    expect(board.top(5).map((r) => r.roomId)).toEqual(['b', 'c']);
    board.add('d', 'normal', 1);
    expect(board.top(5).map((r) => r.roomId)).toEqual(['b', 'c']);
    // a's 1 when it was replaced, d's 1 that found no place.
    expect(board.untracked).toBe(2);
  });
});
