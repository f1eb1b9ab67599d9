import { Packr } from 'msgpackr';
import { CodecId } from './command';
import { FrameError } from './frames';

/** Encodes and decodes message bodies. JSON by default (readable in any language); msgpack on request. */
export interface BodyCodec {
  readonly id: CodecId;
  encode(value: unknown): Buffer;
  decode(buf: Buffer): unknown;
}

const EMPTY = Buffer.alloc(0);

export const JsonCodec: BodyCodec = {
  id: CodecId.JSON,
  // undefined (a void handler) travels as an empty body.
  encode: (value) => (value === undefined ? EMPTY : Buffer.from(JSON.stringify(value))),
  decode: (buf) => (buf.length === 0 ? undefined : JSON.parse(buf.toString('utf8'))),
};

const packr = new Packr({ useRecords: false, moreTypes: false });

export const MsgpackCodec: BodyCodec = {
  id: CodecId.MSGPACK,
  encode: (value) => (value === undefined ? EMPTY : packr.pack(value)),
  decode: (buf) => (buf.length === 0 ? undefined : packr.unpack(buf)),
};

export function codecById(id: number): BodyCodec {
  if (id === CodecId.JSON) return JsonCodec;
  if (id === CodecId.MSGPACK) return MsgpackCodec;
  throw new FrameError(`unknown codec ${id}`);
}
