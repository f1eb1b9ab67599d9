import { ErrorCode, MAX_EVENT_BYTES, RpcError } from '@live-im/contracts';
import {
  errorAck,
  failureEvent,
  isClientEvent,
  MISSING_ACK,
  okAck,
  parseClientEvent,
  splitInvocation,
  unknownEvent,
} from './client-events';

function codeOf(fn: () => unknown): { code: string; message: string; details?: Record<string, unknown> } {
  try {
    fn();
  } catch (error) {
    if (error instanceof RpcError) return error.toBody();
    throw error;
  }
  throw new Error('did not throw');
}

describe('client events', () => {
  it('knows the contract events and nothing else', () => {
    expect(isClientEvent('join')).toBe(true);
    expect(isClientEvent('onlineList')).toBe(true);
    expect(isClientEvent('constructor')).toBe(false);
    expect(isClientEvent('batch')).toBe(false);
  });

  it('takes the ack callback from the last argument and the payload from the first', () => {
    const ack = () => undefined;
    expect(splitInvocation([{ roomId: 'r1' }, ack])).toEqual({ payload: { roomId: 'r1' }, ack });
    expect(splitInvocation([ack])).toEqual({ payload: undefined, ack });
    expect(splitInvocation([{ roomId: 'r1' }])).toEqual({ payload: { roomId: 'r1' }, ack: undefined });
    expect(splitInvocation([])).toEqual({ payload: undefined, ack: undefined });
  });

  it('validates a payload and applies defaults', () => {
    expect(parseClientEvent('history', { roomId: 'r1', lane: 'normal', afterSeq: 0 })).toEqual({
      roomId: 'r1',
      lane: 'normal',
      afterSeq: 0,
      limit: 50,
    });
    expect(parseClientEvent('chat', { roomId: 'r1', text: '  hi  ', clientMsgId: 'c-1' }).text).toBe('hi');
  });

  it('answers INVALID_ARGUMENT naming the field', () => {
    const error = codeOf(() => parseClientEvent('join', { roomId: '_sneaky' }));
    expect(error.code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(error.message).toContain('roomId');
    expect(error.details?.['fields']).toEqual([expect.objectContaining({ field: 'roomId' })]);

    expect(
      codeOf(() => parseClientEvent('gift', { roomId: 'r1', giftId: 'rose', count: 0, clientMsgId: 'c' }))
        .message,
    ).toContain('count');
    expect(codeOf(() => parseClientEvent('like', { roomId: 'r1', count: 1, extra: true })).code).toBe(
      ErrorCode.INVALID_ARGUMENT,
    );
    expect(codeOf(() => parseClientEvent('leave', undefined)).code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(codeOf(() => parseClientEvent('leave', 'r1')).code).toBe(ErrorCode.INVALID_ARGUMENT);
  });

  it('answers PAYLOAD_TOO_LARGE past MAX_EVENT_BYTES of JSON, before looking at the fields', () => {
    const error = codeOf(() =>
      parseClientEvent('chat', { roomId: 'r1', text: 'x'.repeat(MAX_EVENT_BYTES), clientMsgId: 'c' }),
    );
    expect(error.code).toBe(ErrorCode.PAYLOAD_TOO_LARGE);
    expect(error.details).toEqual({ bytes: expect.any(Number), limit: MAX_EVENT_BYTES });
    // Multi-byte characters count as bytes, not characters.
    expect(
      codeOf(() => parseClientEvent('chat', { roomId: 'r1', text: '弹'.repeat(1400), clientMsgId: 'c' }))
        .code,
    ).toBe(ErrorCode.PAYLOAD_TOO_LARGE);
  });

  it('shapes acks: data on success, the contract error otherwise, INTERNAL without detail for the unexpected', () => {
    expect(okAck({ roomId: 'r1' })).toEqual({ ok: true, data: { roomId: 'r1' } });
    expect(errorAck(new RpcError(ErrorCode.MUTED, 'muted until 5', { mutedUntil: 5 }))).toEqual({
      ok: false,
      error: { code: 'MUTED', message: 'muted until 5', details: { mutedUntil: 5 } },
    });
    expect(errorAck(new Error('ECONNRESET at 10.0.0.7'))).toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'internal error' },
    });
    expect(errorAck({ code: 'BANNED', message: 'banned' })).toEqual({
      ok: false,
      error: { code: 'BANNED', message: 'banned' },
    });
  });

  it('builds failure events for events without an ack and for unknown events', () => {
    expect(failureEvent('chat', MISSING_ACK)).toEqual({
      event: 'chat',
      code: 'INVALID_ARGUMENT',
      message: MISSING_ACK.message,
    });
    const unknown = failureEvent('shout', unknownEvent('shout'));
    expect(unknown.code).toBe('INVALID_ARGUMENT');
    expect(unknown.message).toContain('shout');
  });
});
