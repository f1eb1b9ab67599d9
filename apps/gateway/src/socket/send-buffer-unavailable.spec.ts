import { createServer, type Server, type Socket, connect, type AddressInfo } from 'node:net';

/**
 * Where koffi cannot load (no prebuilt binary for the platform), the bound is off: support says
 * why, and boundSendBuffer leaves the connection as it is and says false.
 */
describe('boundSendBuffer without its FFI', () => {
  let listener: Server | undefined;
  const sockets: Socket[] = [];
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.destroy();
    listener?.close();
  });

  it('is off, says why, and leaves the connection working', async () => {
    jest.resetModules();
    jest.doMock('koffi', () => {
      throw new Error('no prebuilt binary for this platform');
    });
    const { boundSendBuffer, sendBufferSupport } = await import('./send-buffer');
    expect(sendBufferSupport()).toEqual({ ok: false, reason: expect.stringContaining('no prebuilt binary') });

    const server = createServer();
    listener = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    sockets.push(client);
    const socket = await accepted;
    sockets.push(socket);
    expect(boundSendBuffer(socket, 65_536)).toBe(false);
    const received = new Promise<string>((resolve) =>
      client.once('data', (data) => resolve(data.toString())),
    );
    socket.write('still works');
    expect(await received).toBe('still works');
  });
});
