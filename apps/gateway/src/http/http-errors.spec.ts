import { ErrorCode, RpcError } from '@live-im/contracts';
import {
  BadRequestException,
  HttpException,
  NotFoundException,
  PayloadTooLargeException,
} from '@nestjs/common';
import { httpErrorOf } from './http-errors';

describe('httpErrorOf', () => {
  it('passes RPC errors through with the contract status', () => {
    expect(httpErrorOf(new RpcError(ErrorCode.ALREADY_EXISTS, 'room r1 is open'))).toEqual({
      status: 409,
      body: { error: { code: 'ALREADY_EXISTS', message: 'room r1 is open' } },
      unexpected: false,
    });
    const invalid = httpErrorOf(
      new RpcError(ErrorCode.INVALID_ARGUMENT, 'invalid roomId', { fields: [{ field: 'roomId' }] }),
    );
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.details).toEqual({ fields: [{ field: 'roomId' }] });
  });

  it.each([
    [ErrorCode.UNAUTHENTICATED, 401],
    [ErrorCode.BANNED, 403],
    [ErrorCode.MUTED, 403],
    [ErrorCode.RATE_LIMITED, 429],
    [ErrorCode.ROOM_CLOSED, 409],
    [ErrorCode.SERVICE_UNAVAILABLE, 503],
    [ErrorCode.DEADLINE_EXCEEDED, 504],
    [ErrorCode.WORKER_LOST, 502],
  ])('maps %s to %d', (code, status) => {
    expect(httpErrorOf(new RpcError(code, 'x')).status).toBe(status);
  });

  it('maps what Nest and Express raise themselves by status', () => {
    expect(httpErrorOf(new NotFoundException('Cannot GET /api/nope')).body.error).toEqual({
      code: 'NOT_FOUND',
      message: 'Cannot GET /api/nope',
    });
    expect(httpErrorOf(new BadRequestException('Unexpected token } in JSON')).body.error.code).toBe(
      'INVALID_ARGUMENT',
    );
    expect(httpErrorOf(new PayloadTooLargeException()).status).toBe(413);
    expect(httpErrorOf(new HttpException('teapot', 418)).body.error.code).toBe('INVALID_ARGUMENT');
    expect(httpErrorOf(new HttpException('boom', 500)).body.error).toEqual({
      code: 'INTERNAL',
      message: 'internal error',
    });
  });

  it('hides unexpected errors behind INTERNAL and flags them for the log', () => {
    const reply = httpErrorOf(
      new TypeError('cannot read properties of undefined (reading "x") at /srv/app.js:1'),
    );
    expect(reply).toEqual({
      status: 500,
      body: { error: { code: 'INTERNAL', message: 'internal error' } },
      unexpected: true,
    });
  });

  describe('body parser refusals (Express, before any route)', () => {
    /** The shape body-parser's errors have (http-errors: status, expose, type). */
    function parserError(status: number, type: string | undefined, extra: object = {}): Error {
      return Object.assign(
        new Error('raw parser message'),
        { status, statusCode: status, expose: true, type },
        extra,
      );
    }

    it.each([
      ['entity.too.large', 413, 413, 'PAYLOAD_TOO_LARGE'],
      ['entity.parse.failed', 400, 400, 'INVALID_ARGUMENT'],
      ['encoding.unsupported', 415, 400, 'INVALID_ARGUMENT'],
      ['charset.unsupported', 415, 400, 'INVALID_ARGUMENT'],
      [undefined, 400, 400, 'INVALID_ARGUMENT'],
    ])('maps %s (%d) to %d %s, not a logged INTERNAL', (type, raw, status, code) => {
      const result = httpErrorOf(parserError(raw, type, { limit: 102_400 }));
      expect(result.status).toBe(status);
      expect(result.body.error.code).toBe(code);
      expect(result.body.error.message).not.toContain('raw parser message');
      expect(result.unexpected).toBe(false);
    });

    it('states the limit of a body too large', () => {
      expect(httpErrorOf(parserError(413, 'entity.too.large', { limit: 102_400 })).body.error).toEqual({
        code: 'PAYLOAD_TOO_LARGE',
        message: 'request body larger than 102400 bytes',
        details: { limit: 102_400 },
      });
    });

    it('leaves a server-side error with a status alone', () => {
      const error = Object.assign(new Error('x'), { status: 500, expose: false });
      expect(httpErrorOf(error)).toMatchObject({ status: 500, unexpected: true });
    });
  });
});
