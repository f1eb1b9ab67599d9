import { createServer, type AddressInfo, type Server } from 'node:net';
import { listeningInodes, pidListeningOn } from './listening-process';

// Two lines of a real /proc/net/tcp: a socket listening on 127.0.0.1:6379 (0x18EB) and an
// established connection from that port.
const PROC_NET_TCP = [
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 0100007F:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4513 1 0000000064ec8dce 100 0 0 10 0',
  '   1: 0100007F:18EB 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 9921 1 0000000064ec8dce 20 4 30 10 -1',
  '',
].join('\n');

describe('listeningInodes', () => {
  it('finds the inode of the socket listening on a port, not its connections', () => {
    expect(listeningInodes(PROC_NET_TCP, 6379)).toEqual(['4513']);
    expect(listeningInodes(PROC_NET_TCP, 6380)).toEqual([]);
  });
});

describe('pidListeningOn', () => {
  let server: Server;

  beforeAll(async () => {
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('finds this process listening on a real port', () => {
    expect(pidListeningOn((server.address() as AddressInfo).port)).toBe(process.pid);
  });
});
