import { createServer, type Server, type Socket, connect } from 'node:net';

/**
 * A TCP proxy on a loopback port in front of one upstream (e.g. Redis, or a gateway), either of
 * whose directions the test can pause. `pause()` holds what clients send, in order, and forwards it
 * on `resume()`: "a request of this app is still in flight" becomes a state the test controls,
 * without touching the app. `stopReading()` stops reading the upstream's answers, as a client that
 * no longer reads its socket would: the upstream's kernel buffers fill and its writes back up,
 * until `startReading()`.
 */
export class PausableProxy {
  private paused = false;
  private reading = true;
  private readonly upstreams = new Set<Socket>();
  private readonly held: Array<{ upstream: Socket; data: Buffer }> = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(upstreamHost: string, upstreamPort: number): Promise<PausableProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
    const proxy = new PausableProxy(server, address.port);
    server.on('connection', (client: Socket) => proxy.accept(client, upstreamHost, upstreamPort));
    return proxy;
  }

  /** Holds what clients send from now on. */
  pause(): void {
    this.paused = true;
  }

  /** Forwards what was held, then everything as it comes. */
  resume(): void {
    this.paused = false;
    for (const { upstream, data } of this.held.splice(0)) if (!upstream.destroyed) upstream.write(data);
  }

  /** Stops reading what the upstream sends (new connections too), so it backs up at the upstream. */
  stopReading(): void {
    this.reading = false;
    for (const upstream of this.upstreams) upstream.pause();
  }

  /** Reads and forwards the upstream's answers again. */
  startReading(): void {
    this.reading = true;
    for (const upstream of this.upstreams) upstream.resume();
  }

  /** Chunks held while paused. */
  get heldChunks(): number {
    return this.held.length;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, upstreamHost: string, upstreamPort: number): void {
    const upstream = connect(upstreamPort, upstreamHost);
    this.sockets.add(client);
    this.sockets.add(upstream);
    this.upstreams.add(upstream);
    client.on('data', (data) => {
      if (this.paused) this.held.push({ upstream, data });
      else upstream.write(data);
    });
    // By hand rather than pipe(), which would resume a paused upstream whenever the client drains.
    upstream.on('data', (data) => client.write(data));
    if (!this.reading) upstream.pause();
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
      this.upstreams.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  }
}
