import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { codecById, JsonCodec, MsgpackCodec } from './codec';
import { CodecId, Command, ReplyStatus, RequestFlag } from './command';
import {
  assertPairs,
  decodeReplyMeta,
  decodeRequestMeta,
  encodeReplyMeta,
  encodeRequestMeta,
  expandPairs,
  FrameError,
  header,
  packPairs,
  readHeader,
  RequestMeta,
  traceOfRequestMeta,
  unpackPairs,
  countPairs,
  peekRequestMeta,
  serviceOfRequestMeta,
  utf8Length,
} from './frames';

describe('LRPC/1 frames', () => {
  describe('header', () => {
    it('round-trips every command', () => {
      for (const command of Object.values(Command)) expect(readHeader(header(command))).toBe(command);
    });

    it.each([
      ['missing', undefined],
      ['too short', Buffer.from([1])],
      ['too long', Buffer.from([1, 1, 0])],
      ['wrong version', Buffer.from([2, 1])],
      ['unknown command', Buffer.from([1, 0x7f])],
    ])('rejects a %s header', (_name, frame) => {
      expect(() => readHeader(frame)).toThrow(FrameError);
    });
  });

  describe('request meta', () => {
    const meta: RequestMeta = {
      id: 0xfffffffe,
      timeoutMs: 2000,
      flags: RequestFlag.IDEMPOTENT | RequestFlag.EVENT,
      codec: CodecId.MSGPACK,
      pattern: 'user.login',
      traceId: 'req-é-1',
    };

    it('round-trips', () => {
      expect(decodeRequestMeta(encodeRequestMeta(meta))).toEqual(meta);
      expect(decodeRequestMeta(encodeRequestMeta({ ...meta, traceId: '' }))).toEqual({
        ...meta,
        traceId: '',
      });
    });

    it('writes ASCII and non-ASCII patterns and trace ids as UTF-8, byte for byte', () => {
      for (const text of ['user.login', 'ünï.cödé', 'emoji.😀', 'lone.\ud800', '']) {
        expect(utf8Length(text)).toBe(Buffer.byteLength(text));
      }
      const wide = { ...meta, pattern: 'ünï.cödé', traceId: 'trace-😀' };
      const encoded = encodeRequestMeta(wide);
      expect(decodeRequestMeta(encoded)).toEqual(wide);
      expect(encoded.subarray(11, 11 + encoded[10])).toEqual(Buffer.from(wide.pattern));
      expect(() => encodeRequestMeta({ ...meta, pattern: 'é'.repeat(128) })).toThrow(FrameError);
    });

    it('gives the trace id straight from the meta', () => {
      const patternLen = Buffer.byteLength(meta.pattern);
      expect(traceOfRequestMeta(encodeRequestMeta(meta), patternLen)).toBe(meta.traceId);
      expect(traceOfRequestMeta(encodeRequestMeta({ ...meta, traceId: '' }), patternLen)).toBe('');
    });

    it('matches the examples of docs/rpc-protocol.md byte for byte', () => {
      // The doc's hex, table pipes, code fences and line breaks aside, must be what the codec writes.
      const doc = readFileSync(join(__dirname, '../../../../docs/rpc-protocol.md'), 'utf8')
        .replace(/```|\|/g, ' ')
        .replace(/\s+/g, ' ');
      const inDoc = (text: string) =>
        expect({ text, inDoc: doc.includes(text) }).toEqual({ text, inDoc: true });
      const hex = (bytes: Buffer) => bytes.toString('hex').replace(/(..)(?!$)/g, '$1 ');
      const login = { id: 7, timeoutMs: 2000, flags: 1, codec: 0, pattern: 'user.login', traceId: '' };
      const meta = encodeRequestMeta(login);
      expect(meta.length).toBe(22);
      inDoc(`the meta is ${meta.length} bytes: ${hex(meta)}`);
      const body = Buffer.from(JSON.stringify({ username: 'alice', password: 'secret-pass' }));
      const batch = packPairs([meta, body]);
      inDoc(
        `${body.toString()}\` is ${body.length} bytes, so the batch frame is the ${batch.length} bytes ${hex(batch)}`,
      );
      const traced = encodeRequestMeta({ ...login, traceId: 'req-1' });
      inDoc(`grows to ${traced.length} bytes: \`... ${hex(traced.subarray(16))}\``);
      inDoc(`\`${hex(encodeReplyMeta(7, ReplyStatus.OK, CodecId.JSON))}\` is the final OK of request 7`);
      for (const [status, value] of [
        [ReplyStatus.NEXT, '1'],
        [ReplyStatus.NEXT, '2'],
        [ReplyStatus.END, ''],
      ] as const) {
        inDoc(hex(packPairs([encodeReplyMeta(7, status, CodecId.JSON), Buffer.from(value)])));
      }
      inDoc(`\`expiresAt: 1765000000000\` is \`${hex(MsgpackCodec.encode(1765000000000))}\``);
      inDoc('the 12-byte batch `04 00 00 00 m m m m 00 00 00 00`');
      expect(packPairs([Buffer.from('mmmm'), Buffer.alloc(0)]).length).toBe(12);
    });

    it('rejects every truncation and any trailing byte', () => {
      const full = encodeRequestMeta(meta);
      for (let length = 0; length < full.length; length += 1) {
        expect(() => decodeRequestMeta(full.subarray(0, length))).toThrow(FrameError);
      }
      expect(() => decodeRequestMeta(Buffer.concat([full, Buffer.from([0])]))).toThrow(FrameError);
    });

    it('rejects an empty pattern and garbage', () => {
      const empty = Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
      expect(() => decodeRequestMeta(empty)).toThrow(FrameError);
      expect(() => decodeRequestMeta(Buffer.from('not a meta at all, just text'))).toThrow(FrameError);
      expect(() => encodeRequestMeta({ ...meta, pattern: '' })).toThrow(FrameError);
      expect(() => encodeRequestMeta({ ...meta, traceId: 'x'.repeat(256) })).toThrow(FrameError);
    });

    it('reads each pattern and service right while many alternate, same lengths included', () => {
      // More patterns than the strings kept from earlier metas, several of one length, in rotation.
      const patterns = Array.from({ length: 12 }, (_, n) => `svc${n % 3}.op${String.fromCharCode(97 + n)}`);
      patterns.push('nodot', 'a.b.c', 'user.é');
      for (let round = 0; round < 3; round += 1) {
        for (const pattern of patterns) {
          const buf = encodeRequestMeta({ ...meta, pattern, traceId: 'x.y' });
          expect(decodeRequestMeta(buf).pattern).toBe(pattern);
          expect(serviceOfRequestMeta(buf, buf[10])).toBe(pattern.split('.')[0]);
          // The meta's bytes change after the read (the broker rewrites in place): no effect on it.
          buf.fill(0x7a, 11, 11 + buf[10]);
        }
      }
    });

    it('takes a pattern that is not valid UTF-8 for malformed, on the broker and on the worker', () => {
      const good = encodeRequestMeta({ ...meta, pattern: 'user.ab' });
      for (const bytes of [
        [0xff, 0xfe],
        [0xc3, 0x28],
        [0xed, 0xa0],
        [0x80, 0x41],
      ]) {
        const bad = Buffer.from(good);
        bad[16] = bytes[0];
        bad[17] = bytes[1];
        expect(() => decodeRequestMeta(bad)).toThrow('pattern is not valid UTF-8');
        expect(() => peekRequestMeta(bad)).toThrow('pattern is not valid UTF-8');
      }
      const accented = encodeRequestMeta({ ...meta, pattern: 'user.é' });
      expect(decodeRequestMeta(accented).pattern).toBe('user.é');
      expect(peekRequestMeta(accented).patternLen).toBe(7);
    });
  });

  describe('reply meta', () => {
    it('round-trips every status', () => {
      for (const status of Object.values(ReplyStatus)) {
        expect(decodeReplyMeta(encodeReplyMeta(123456, status, CodecId.JSON))).toEqual({
          id: 123456,
          status,
          codec: CodecId.JSON,
        });
      }
    });

    it('rejects a wrong length and an unknown status', () => {
      expect(() => decodeReplyMeta(Buffer.alloc(5))).toThrow(FrameError);
      expect(() => decodeReplyMeta(Buffer.alloc(7))).toThrow(FrameError);
      expect(() => decodeReplyMeta(Buffer.from([1, 0, 0, 0, 9, 0]))).toThrow(FrameError);
    });
  });

  it('accepts only whole (meta, body) pairs', () => {
    const b = Buffer.alloc(0);
    expect(() => assertPairs([b, b, b], 1)).not.toThrow();
    expect(() => assertPairs([b, b, b, b, b], 1)).not.toThrow();
    expect(() => assertPairs([b], 1)).toThrow(FrameError);
    expect(() => assertPairs([b, b], 1)).toThrow(FrameError);
    expect(() => assertPairs([b, b, b, b], 1)).toThrow(FrameError);
  });

  describe.each([
    ['JSON', JsonCodec],
    ['MessagePack', MsgpackCodec],
  ])('%s codec', (_name, codec) => {
    it('round-trips values, and undefined as an empty body', () => {
      const value = { username: 'alice', n: 42, nested: { list: [1, 'two', null, true] }, ok: false };
      expect(codec.decode(codec.encode(value))).toEqual(value);
      expect(codec.encode(undefined)).toHaveLength(0);
      expect(codec.decode(Buffer.alloc(0))).toBeUndefined();
      expect(codecById(codec.id)).toBe(codec);
    });
  });

  it('raises on garbage bodies and unknown codecs', () => {
    expect(() => JsonCodec.decode(Buffer.from('{"open":'))).toThrow();
    expect(() => MsgpackCodec.decode(Buffer.from([0x92, 0x01]))).toThrow();
    expect(() => codecById(9)).toThrow(FrameError);
  });
});

describe('batch frame', () => {
  const pairs = [Buffer.from('meta-1'), Buffer.from('{"a":1}'), Buffer.from('m2'), Buffer.alloc(0)];

  it('round trips pairs, including empty bodies, as views into one frame', () => {
    const batch = packPairs(pairs);
    expect(batch.length).toBe(pairs.reduce((n, p) => n + 4 + p.length, 0));
    const parts = unpackPairs(batch);
    expect(parts).toEqual(pairs);
    expect(parts[0].buffer).toBe(batch.buffer);
  });

  it('expands [routing id, header, batch] into [routing id, header, meta, body, ...]', () => {
    const peer = Buffer.from('peer');
    const expanded = expandPairs([peer, header(Command.REQUEST), packPairs(pairs)], 1);
    expect(expanded).toEqual([peer, header(Command.REQUEST), ...pairs]);
  });

  it('rejects truncated, odd, empty and over-long batches', () => {
    const batch = packPairs(pairs);
    expect(() => unpackPairs(batch.subarray(0, batch.length - 1))).toThrow(FrameError);
    expect(() => unpackPairs(batch.subarray(0, 2))).toThrow(FrameError);
    expect(() => unpackPairs(packPairs([Buffer.from('lonely')]))).toThrow(FrameError);
    expect(() => unpackPairs(Buffer.alloc(0))).toThrow(FrameError);
    const lying = Buffer.from(batch);
    lying.writeUInt32LE(0xffffffff, 0);
    expect(() => unpackPairs(lying)).toThrow(FrameError);
    expect(() => expandPairs([header(Command.REPLY)], 0)).toThrow(FrameError);
    expect(() => expandPairs([header(Command.REPLY), batch, batch], 0)).toThrow(FrameError);
  });

  it('counts pairs in place, refusing exactly what unpackPairs refuses', () => {
    const batch = packPairs(pairs);
    expect(countPairs(batch)).toBe(2);
    const lying = Buffer.from(batch);
    lying.writeUInt32LE(0xffffffff, 0);
    for (const bad of [
      batch.subarray(0, batch.length - 1),
      batch.subarray(0, 2),
      packPairs([Buffer.from('lonely')]),
      Buffer.alloc(0),
      lying,
    ]) {
      expect(() => unpackPairs(bad)).toThrow(FrameError);
      expect(() => countPairs(bad)).toThrow(FrameError);
    }
  });
});
