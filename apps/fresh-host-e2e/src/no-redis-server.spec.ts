import { describeInNamespaces, executablesOnPath, IsolatedHost, type NestedRun } from './support/isolated-host';

/**
 * `npm test` on a host with nothing on loopback and no redis-server installed (every redis-server
 * on PATH hidden by a bind mount): the run stops within seconds, with one line saying how to get
 * one, and nothing runs or is left running.
 */
describeInNamespaces('a test run with no Redis and no redis-server', () => {
  let host: IsolatedHost;
  let run: NestedRun;

  beforeAll(async () => {
    host = await IsolatedHost.create();
    run = await host.jest(['libs/presence/src/presence-store.spec.ts'], {
      hide: executablesOnPath('redis-server'),
      timeoutMs: 60_000,
    });
  });

  afterAll(async () => {
    await host?.close();
  });

  it('ends within 30 s with the install line, one line, and runs no spec', () => {
    expect(run.timedOut).toBe(false);
    expect(run.elapsedMs).toBeLessThan(30_000);
    expect(run.code).not.toBe(0);
    const lines = run.output.trim().split('\n');
    expect(lines).toEqual([
      'No Redis answers on 127.0.0.1:6379 and redis-server is not installed: install it (Debian: sudo apt-get install -y redis-server) or set REDIS_URL=redis://host:port.',
    ]);
  });

  it('leaves no process behind', async () => {
    expect(run.groupLeftovers).toEqual([]);
    expect(await host.pids()).toEqual([]);
  });
});
