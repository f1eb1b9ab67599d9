import { connect, type Socket } from 'node:net';

/**
 * A peer that speaks just enough ZMTP 3.0 (NULL mechanism) to announce one huge message frame and
 * then keeps streaming bytes of it, the way a hostile process on the bus would. It holds nothing
 * in memory itself, so a test measures only the receiver. Resolves when the receiver closes the
 * connection (libzmq does so on a frame over its `maxMessageSize`); rejects after `timeoutMs`.
 */
export async function sendOversizedFrame(
  endpoint: string,
  socketType: 'DEALER' | 'PUSH' | 'SUB' | 'XSUB',
  { frameBytes = 256 * 1024 * 1024, timeoutMs = 15_000 }: { frameBytes?: number; timeoutMs?: number } = {},
): Promise<{ bytesSent: number }> {
  const match = /^tcp:\/\/([^:]+):(\d+)$/.exec(endpoint);
  if (match === null) throw new Error(`not a tcp endpoint: ${endpoint}`);
  const socket = connect({ host: match[1], port: Number(match[2]) });
  let bytesSent = 0;
  const chunk = Buffer.alloc(64 * 1024);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${endpoint} kept the connection of a ${frameBytes}-byte frame`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve({ bytesSent });
    };
    socket.on('error', done);
    socket.on('close', done);
    socket.on('connect', () => {
      socket.write(greeting());
      socket.write(readyCommand(socketType));
      socket.write(longFrameHeader(frameBytes));
      pump(socket, chunk, frameBytes, (n) => (bytesSent += n));
    });
  });
}

/** Writes up to `total` bytes while the socket takes them, stopping when it closes. */
function pump(socket: Socket, chunk: Buffer, total: number, sent: (n: number) => void): void {
  let left = total;
  const more = (): void => {
    while (left > 0 && !socket.destroyed) {
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      sent(piece.length);
      if (!socket.write(piece)) {
        socket.once('drain', more);
        return;
      }
    }
  };
  more();
}

/** ZMTP 3.0 greeting: signature, version 3.0, mechanism NULL, as-server 0, filler. */
function greeting(): Buffer {
  const g = Buffer.alloc(64);
  g[0] = 0xff;
  g[9] = 0x7f;
  g[10] = 3;
  g[11] = 0;
  g.write('NULL', 12, 'ascii');
  return g;
}

/** The NULL mechanism's READY command with the Socket-Type property. */
function readyCommand(socketType: string): Buffer {
  const name = Buffer.from('Socket-Type', 'ascii');
  const value = Buffer.from(socketType, 'ascii');
  const valueLength = Buffer.alloc(4);
  valueLength.writeUInt32BE(value.length);
  const body = Buffer.concat([
    Buffer.from([5]),
    Buffer.from('READY', 'ascii'),
    Buffer.from([name.length]),
    name,
    valueLength,
    value,
  ]);
  return Buffer.concat([Buffer.from([0x04, body.length]), body]);
}

/** A final message frame with a 64-bit size: flags 0x02 (long), size big-endian. */
function longFrameHeader(size: number): Buffer {
  const header = Buffer.alloc(9);
  header[0] = 0x02;
  header.writeBigUInt64BE(BigInt(size), 1);
  return header;
}
