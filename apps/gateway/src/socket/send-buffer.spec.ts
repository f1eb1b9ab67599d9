import { waitFor } from '@live-im/testing';
import { readFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { boundSendBuffer, sendBufferSupport } from './send-buffer';

const BOUND = 64 * 1024;
const CHUNK = 64 * 1024;
/**
 * Linux doubles SO_SNDBUF for its own bookkeeping, and takes a write whole when there is room at
 * its start, so the queue may pass the buffer by one write: its payload stays under this.
 */
const KERNEL_CEILING = 2 * BOUND + CHUNK;
const WRITTEN = 8 * 1024 * 1024;

/** The kernel's send and receive queues (bytes) of one IPv4 connection, from /proc/net/tcp. */
function kernelQueues(localPort: number, remotePort: number): { tx: number; rx: number } | undefined {
  const hex = (port: number) => `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const [, local, remote, , queues] = line.trim().split(/\s+/);
    if (local?.endsWith(hex(localPort)) && remote?.endsWith(hex(remotePort)) && queues !== undefined) {
      const [tx = '0', rx = '0'] = queues.split(':');
      return { tx: parseInt(tx, 16), rx: parseInt(rx, 16) };
    }
  }
  return undefined;
}

/**
 * Real loopback TCP: a server-side socket writes 8 MiB to a client that never reads, and what sits
 * in the server's kernel send queue (`ss`'s Send-Q, /proc/net/tcp's tx_queue) is compared with
 * what Node still holds (`writableLength`), with and without the bound.
 */
describe('boundSendBuffer', () => {
  const open: Array<Server | Socket> = [];
  afterEach(() => {
    for (const handle of open.splice(0)) {
      if ('destroy' in handle) handle.destroy();
      else handle.close();
    }
  });

  /** A connected pair whose client side does not read. */
  async function stalledPair(): Promise<{ server: Socket; client: Socket; port: number }> {
    const listener = createServer();
    open.push(listener);
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const port = (listener.address() as AddressInfo).port;
    const accepted = new Promise<Socket>((resolve) => listener.once('connection', resolve));
    const client = connect(port, '127.0.0.1');
    client.pause();
    const server = await accepted;
    open.push(client, server);
    return { server, client, port };
  }

  function writeAll(socket: Socket): void {
    const chunk = Buffer.alloc(CHUNK, 0x61);
    for (let written = 0; written < WRITTEN; written += chunk.length) socket.write(chunk);
  }

  it('loads on this Linux host', () => {
    expect(sendBufferSupport()).toEqual({ ok: true });
  });

  it('keeps a stalled client backlog in user space: the kernel queue stays near the bound', async () => {
    const { server, client, port } = await stalledPair();
    expect(boundSendBuffer(server, BOUND)).toBe(true);
    writeAll(server);
    const clientPort = client.localPort ?? 0;
    const sendQueue = () => kernelQueues(port, clientPort)?.tx ?? 0;
    // The client's receive buffer fills first, then the server's send queue up to its bound.
    await waitFor(() => sendQueue() >= BOUND / 2, { what: 'the kernel send queue to fill' });
    for (let sample = 0; sample < 10; sample += 1) {
      const tx = sendQueue();
      const received = kernelQueues(clientPort, port)?.rx ?? 0;
      expect(tx).toBeLessThanOrEqual(KERNEL_CEILING);
      // Everything the two kernel queues do not hold is still Node's: visible to the gateway.
      expect(server.writableLength).toBeGreaterThanOrEqual(WRITTEN - tx - received);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(server.writableLength).toBeGreaterThan(WRITTEN / 2);
  });

  it('without the bound the kernel takes megabytes that Node no longer sees (the control)', async () => {
    const { server, client, port } = await stalledPair();
    writeAll(server);
    await waitFor(() => (kernelQueues(port, client.localPort ?? 0)?.tx ?? 0) > 4 * KERNEL_CEILING, {
      what: 'the unbounded kernel send queue to grow past the bound',
    });
  });

  it('says false for a socket that has no descriptor any more', async () => {
    const { server } = await stalledPair();
    server.destroy();
    expect(boundSendBuffer(server, BOUND)).toBe(false);
  });
});
