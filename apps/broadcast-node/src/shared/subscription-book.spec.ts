import { SubscriptionBook } from './subscription-book';

const frame = (subscribe: boolean, topic: string) =>
  Buffer.concat([Buffer.from([subscribe ? 1 : 0]), Buffer.from(topic, 'latin1')]);

describe('SubscriptionBook', () => {
  it('counts topics and subscriptions per kind: rooms, and user channels', () => {
    const book = new SubscriptionBook();
    book.apply(frame(true, 'r:room-1:'));
    book.apply(frame(true, 'r:room-1:'));
    book.apply(frame(true, 'r:_u_ann00001:'));
    book.apply(frame(true, 'r:_u_ben00001:'));
    expect(book.countsOf('room')).toEqual({ topics: 1, subscriptions: 2 });
    expect(book.countsOf('user')).toEqual({ topics: 2, subscriptions: 2 });
    book.apply(frame(false, 'r:_u_ann00001:'));
    book.apply(frame(false, 'r:_u_ann00001:'));
    book.apply(frame(false, 'r:room-1:'));
    expect(book.countsOf('room')).toEqual({ topics: 1, subscriptions: 1 });
    expect(book.countsOf('user')).toEqual({ topics: 1, subscriptions: 1 });
    expect(book.subscriptions).toBe(2);
    expect(book.ignored).toBe(1);
  });
});
