import { Dealer } from 'zeromq';
import { testBusSecurity } from '@live-im/testing';
import { routedCurveClientOptions } from '@live-im/zmq-transport';

/**
 * A caller written from docs/rpc-protocol.md alone, as a team with another language would write
 * it: a bare DEALER, frames packed by hand. Only its CURVE socket options (the test key set's
 * operator key, the broker's public key, the key-bound routing id) come from libs/zmq-transport.
 * It sends PING only when told to, so a test can be the caller that never does.
 */
export interface RawRequest {
  id: number;
  timeoutMs: number;
  /** Bit 0 IDEMPOTENT, bit 1 EVENT. */
  flags?: number;
  /** 0 JSON, 1 MessagePack. */
  codec?: number;
  /** The pattern's bytes, so a test can send some that are not UTF-8. */
  pattern: string | Buffer;
  traceId?: string;
  body: Buffer;
}

export interface RawReply {
  id: number;
  /** 0 OK, 1 ERROR, 2 NEXT, 3 END. */
  status: number;
  codec: number;
  body: Buffer;
}

const VERSION = 0x01;
export const REQUEST = 0x01;
export const REPLY = 0x02;
export const PING = 0x03;
export const PONG = 0x04;
export const STATUS = { OK: 0, ERROR: 1, NEXT: 2, END: 3 } as const;

/** Request meta: id u32, timeoutMs u32, flags u8, codec u8, patternLen u8, pattern, traceLen u8, trace. */
export function rawRequestMeta(request: RawRequest): Buffer {
  const pattern =
    typeof request.pattern === 'string' ? Buffer.from(request.pattern, 'utf8') : request.pattern;
  const trace = Buffer.from(request.traceId ?? '', 'utf8');
  const meta = Buffer.alloc(12 + pattern.length + trace.length);
  meta.writeUInt32LE(request.id, 0);
  meta.writeUInt32LE(request.timeoutMs, 4);
  meta[8] = request.flags ?? 0;
  meta[9] = request.codec ?? 0;
  meta[10] = pattern.length;
  pattern.copy(meta, 11);
  meta[11 + pattern.length] = trace.length;
  trace.copy(meta, 12 + pattern.length);
  return meta;
}

/** The batch frame: `u32 LE length, bytes` per record, meta and body alternating. */
export function rawBatch(records: Buffer[]): Buffer {
  return Buffer.concat(
    records.flatMap((record) => {
      const length = Buffer.alloc(4);
      length.writeUInt32LE(record.length, 0);
      return [length, record];
    }),
  );
}

function unpackReplies(batch: Buffer): RawReply[] {
  const records: Buffer[] = [];
  for (let at = 0; at < batch.length; ) {
    const length = batch.readUInt32LE(at);
    records.push(batch.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  const replies: RawReply[] = [];
  for (let i = 0; i + 1 < records.length; i += 2) {
    const meta = records[i];
    replies.push({
      id: meta.readUInt32LE(0),
      status: meta[4],
      codec: meta[5],
      body: records[i + 1],
    });
  }
  return replies;
}

function operatorCurveOptions(): ReturnType<typeof routedCurveClientOptions> {
  const security = testBusSecurity('rpc-cli');
  return routedCurveClientOptions(security, security.mode === 'curve' ? security.trust.rpcBroker : undefined);
}

export class RawCaller {
  /** A caller with the test key set's operator key: its frames reach the broker's parser. */
  readonly socket = new Dealer({ linger: 0, ...operatorCurveOptions() });
  /** Every reply pair received, in arrival order. */
  readonly replies: RawReply[] = [];
  /** Messages other than REPLY (PONG, CLOSING...), by command byte. */
  readonly others: number[] = [];
  private reading: Promise<void> | undefined;

  constructor(endpoint: string) {
    this.socket.connect(endpoint);
  }

  /** Reads everything the broker sends until close(). */
  start(): void {
    this.reading ??= this.read();
  }

  send(...requests: RawRequest[]): Promise<void> {
    const records = requests.flatMap((request) => [rawRequestMeta(request), request.body]);
    return this.socket.send([Buffer.from([VERSION, REQUEST]), rawBatch(records)]);
  }

  /** Sends a REQUEST whose meta the test built itself. */
  sendMetas(pairs: Array<[Buffer, Buffer]>): Promise<void> {
    return this.socket.send([Buffer.from([VERSION, REQUEST]), rawBatch(pairs.flat())]);
  }

  ping(): Promise<void> {
    return this.socket.send(Buffer.from([VERSION, PING]));
  }

  /** Final replies (OK, ERROR, END) by request id. */
  finals(): Map<number, RawReply> {
    const finals = new Map<number, RawReply>();
    for (const reply of this.replies) if (reply.status !== STATUS.NEXT) finals.set(reply.id, reply);
    return finals;
  }

  async close(): Promise<void> {
    this.socket.close();
    await this.reading;
  }

  private async read(): Promise<void> {
    try {
      for await (const [header, batch] of this.socket) {
        if (header === undefined || header[0] !== VERSION) continue;
        if (header[1] === REPLY && batch !== undefined) this.replies.push(...unpackReplies(batch));
        else this.others.push(header[1]);
      }
    } catch (error) {
      if (!this.socket.closed) throw error;
    }
  }
}
