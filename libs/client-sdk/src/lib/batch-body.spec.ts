import type { BatchInfo } from '@live-im/contracts';
import { decodeBatchBody } from './batch-body';
import { LiveError } from './live-error';
import { messages } from './__tests__/messages';

const info: BatchInfo = { roomId: 'room-1', lane: 'normal', firstSeq: 1, lastSeq: 3, count: 3 };
const list = messages('normal', [1, 2, 3]);
const json = JSON.stringify(list);

describe('decodeBatchBody', () => {
  it('reads the JSON text the gateway sends', () => {
    expect(decodeBatchBody(info, json)).toEqual(list);
  });

  it('reads a Buffer, a Uint8Array, an ArrayBuffer and a view into a larger buffer', () => {
    const bytes = new TextEncoder().encode(json);
    const padded = new Uint8Array(bytes.length + 8);
    padded.set(bytes, 4);
    for (const body of [
      Buffer.from(json),
      bytes,
      bytes.slice().buffer,
      new DataView(padded.buffer, 4, bytes.length),
    ]) {
      expect(decodeBatchBody(info, body)).toEqual(list);
    }
  });

  it.each([
    ['a number', 42],
    ['text that is not JSON', '[{'],
    ['bad UTF-8', new Uint8Array([0xff, 0xfe, 0x5b])],
    ['not JSON', Buffer.from('[{')],
    ['not an array', Buffer.from('{}')],
    ['an entry that is not a message', Buffer.from(JSON.stringify([{ id: 'x' }]))],
    ['a message of another room', Buffer.from(JSON.stringify(messages('normal', [1], 'room-2')))],
    ['a seq outside the batch', Buffer.from(JSON.stringify(messages('normal', [4])))],
  ])('throws INTERNAL for %s', (_what, body) => {
    let thrown: unknown;
    try {
      decodeBatchBody(info, body);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(LiveError);
    expect((thrown as LiveError).code).toBe('INTERNAL');
  });
});
