import {
  describeInNamespaces,
  executablesOnPath,
  IsolatedHost,
  type NestedRun,
} from './support/isolated-host';

const INSTALL_LINE =
  'No Redis answers on 127.0.0.1:6379 and redis-server is not installed: install it (Debian: sudo apt-get install -y redis-server) or set REDIS_URL=redis://host:port.';

/**
 * A host with nothing on loopback and no redis-server installed (every redis-server on PATH hidden
 * by a bind mount): jest stops by itself, with one line saying how to get one, and nothing
 * runs or is left running; `npm test` says the same before it even builds.
 */
describeInNamespaces('a test run with no Redis and no redis-server', () => {
  let host: IsolatedHost;
  let run: NestedRun;
  let npmTest: NestedRun;

  beforeAll(async () => {
    host = await IsolatedHost.create();
    const hide = executablesOnPath('redis-server');
    run = await host.jest(['libs/presence/src/presence-store.spec.ts'], { hide, timeoutMs: 60_000 });
    npmTest = await host.run(['npm', 'test', '--', 'libs/presence/src/presence-store.spec.ts'], {
      hide,
      timeoutMs: 60_000,
    });
  });

  afterAll(async () => {
    await host?.close();
  });

  it('ends by itself with the install line, one line, and runs no spec', () => {
    // Within the run's generous limit; how fast is no business of an end-to-end test.
    expect(run.timedOut).toBe(false);
    expect(run.code).not.toBe(0);
    expect(run.output.trim().split('\n')).toEqual([INSTALL_LINE]);
  });

  it('has npm test end the same way before building', () => {
    expect(npmTest.timedOut).toBe(false);
    expect(npmTest.code).not.toBe(0);
    expect(npmTest.output.trim().split('\n').at(-1)).toBe(INSTALL_LINE);
    expect(npmTest.output).not.toMatch(/nx run|Test Suites:/);
  });

  it('leaves no process behind', async () => {
    expect(run.groupLeftovers).toEqual([]);
    expect(npmTest.groupLeftovers).toEqual([]);
    expect(await host.pids()).toEqual([]);
  });
});
