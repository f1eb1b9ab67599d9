import { FrameError } from '@live-im/zmq-transport';
import { parseWorkerAnnouncement } from './worker-announcement';

const ready = (value: unknown) => Buffer.from(JSON.stringify(value));
const valid = { service: 'user', instance: 'user-7f3a', version: '0.1.0', capacity: 64, pid: 1234 };

describe('parseWorkerAnnouncement', () => {
  it('accepts the announcement of the protocol doc', () => {
    expect(parseWorkerAnnouncement(ready(valid))).toEqual(valid);
  });

  it.each([
    ['not JSON', Buffer.from('{nope')],
    ['an array', ready([valid])],
    ['a bad service name', ready({ ...valid, service: 'User' })],
    ['a service name with a dot', ready({ ...valid, service: 'user.x' })],
    ['capacity 0', ready({ ...valid, capacity: 0 })],
    ['capacity above 10000', ready({ ...valid, capacity: 10_001 })],
    ['a fractional capacity', ready({ ...valid, capacity: 1.5 })],
    ['no instance', ready({ ...valid, instance: '' })],
    ['a missing version', ready({ ...valid, version: undefined })],
    ['a negative pid', ready({ ...valid, pid: -1 })],
  ])('rejects %s', (_what, frame) => {
    expect(() => parseWorkerAnnouncement(frame)).toThrow(FrameError);
  });
});
