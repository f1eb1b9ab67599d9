import { createConnection, createServer, type AddressInfo, type Server } from 'node:net';
import { CLIENTS_PER_ADDRESS, loopbackSource } from './source-address';

describe('loopbackSource', () => {
  it('gives each run of CLIENTS_PER_ADDRESS clients an address of its own within the block', () => {
    expect(loopbackSource(20, 0)).toBe('127.20.1.1');
    expect(loopbackSource(20, CLIENTS_PER_ADDRESS - 1)).toBe('127.20.1.1');
    expect(loopbackSource(20, CLIENTS_PER_ADDRESS)).toBe('127.20.1.2');
    expect(loopbackSource(20, 254 * CLIENTS_PER_ADDRESS)).toBe('127.20.2.1');
  });

  it('refuses a block outside 1..254', () => {
    expect(() => loopbackSource(0, 0)).toThrow('block 0');
  });

  describe('against a real socket', () => {
    let server: Server;
    let seen: string | undefined;

    beforeAll(async () => {
      server = createServer((socket) => {
        seen = socket.remoteAddress;
        socket.end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });

    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    it('connects from the address it names (Linux answers on all of 127.0.0.0/8)', async () => {
      const port = (server.address() as AddressInfo).port;
      const localAddress = loopbackSource(7, 3 * CLIENTS_PER_ADDRESS);
      await new Promise<void>((resolve, reject) => {
        const client = createConnection({ port, host: '127.0.0.1', localAddress });
        client.on('error', reject);
        client.on('close', () => resolve());
        client.resume();
      });
      expect(seen).toBe(localAddress);
    });
  });
});
