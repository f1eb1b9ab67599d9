import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts, testBusEnv, waitFor, WORKSPACE_ROOT } from '@live-im/testing';
import { run } from './support/deploy-check';

/*
 * The image itself is not built here (this machine has a Docker client and no daemon), so these
 * tests check every part of it that runs without Docker: the entrypoint and the healthcheck run
 * for real against the built apps, and the Dockerfile's own references are resolved.
 */

const DOCKER_DIR = join(WORKSPACE_ROOT, 'deploy/docker');
const ENTRYPOINT = join(DOCKER_DIR, 'entrypoint.sh');
const HEALTHCHECK = join(DOCKER_DIR, 'healthcheck.js');
const DOCKERFILE = readFileSync(join(DOCKER_DIR, 'Dockerfile'), 'utf8');

/** The services the entrypoint accepts, read from its `case` line. */
function entrypointApps(): string[] {
  const line = /^\s*([a-z-]+(?:\|[a-z-]+)+)\)\s*;;/m.exec(readFileSync(ENTRYPOINT, 'utf8'));
  if (!line) throw new Error('no APP case in entrypoint.sh');
  return line[1].split('|').sort();
}

/** Each service's ADMIN_PORT default, read from its config schema (`ADMIN_PORT: envPort(3010)`). */
function configuredAdminPort(app: string): number | undefined {
  const dir = join(WORKSPACE_ROOT, 'apps', app, 'src');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))) {
    const match = /ADMIN_PORT: envPort\((\d+)\)/.exec(readFileSync(join(dir, file), 'utf8'));
    if (match) return Number(match[1]);
  }
  return undefined;
}

function healthcheck(env: Record<string, string>): Promise<number> {
  return run(process.execPath, [HEALTHCHECK], 10_000, env).then((r) => r.code);
}

describe('deploy/docker', () => {
  it('the entrypoint accepts every service the image holds, each with its built entry, and refuses anything else', async () => {
    const apps = entrypointApps();
    expect(apps).toEqual([
      'broadcast-node',
      'gateway',
      'node-manager',
      'room-service',
      'rpc-broker',
      'user-service',
    ]);
    for (const app of apps) {
      const result = await run('sh', [ENTRYPOINT, '--check'], 10_000, { APP: app });
      expect({ app, code: result.code, stderr: result.stderr }).toEqual({ app, code: 0, stderr: '' });
    }
    for (const bad of ['', 'web', 'rpc-cli', '../gateway', 'gateway;id']) {
      const result = await run('sh', [ENTRYPOINT, '--check'], 10_000, { APP: bad });
      expect(result.code).toBe(64);
      expect(result.stderr).toContain('APP must be one of');
    }
  });

  it('the healthcheck knows every service’s default admin port, as its config schema declares it', () => {
    const source = readFileSync(HEALTHCHECK, 'utf8');
    for (const app of entrypointApps()) {
      const port = configuredAdminPort(app);
      expect({ app, port }).toEqual({ app, port: expect.any(Number) });
      expect(source).toMatch(new RegExp(`'?${app}'?: ${port},`));
    }
  });

  it('runs a service through the entrypoint as the process itself: healthy while live, SIGTERM ends it with 0', async () => {
    const [adminPort, frontend, backend] = await freePorts(3);
    const env = {
      PATH: process.env['PATH'] ?? '',
      APP: 'rpc-broker',
      ADMIN_HOST: '127.0.0.1',
      ADMIN_PORT: String(adminPort),
      RPC_FRONTEND_BIND: `tcp://127.0.0.1:${frontend}`,
      RPC_BACKEND_BIND: `tcp://127.0.0.1:${backend}`,
      DRAIN_TIMEOUT_MS: '0',
      LOG_LEVEL: 'warn',
      // The image, as every deploy path, runs the bus secured: a key pair and the trust list.
      ...testBusEnv('rpc-broker'),
    };
    const child = spawn('sh', [ENTRYPOINT], { cwd: WORKSPACE_ROOT, env, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(
        async () => (await healthcheck({ APP: 'rpc-broker', ADMIN_PORT: String(adminPort) })) === 0,
        {
          timeoutMs: 20_000,
          intervalMs: 200,
          what: 'the healthcheck to pass',
        },
      );
      // exec: the shell became node, so the container's SIGTERM reaches the app itself.
      const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
      expect(cmdline[0]).toBe('node');
      expect(cmdline).toContain('dist/apps/rpc-broker/apps/rpc-broker/src/main.js');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(await healthcheck({ APP: 'rpc-broker', ADMIN_PORT: String(adminPort) })).toBe(1);
  }, 40_000);

  it('the Dockerfile builds from sources in stages, checks its APP at build time and runs unprivileged', () => {
    const stages = [...DOCKERFILE.matchAll(/^FROM \S+ AS (\S+)$/gm)].map((m) => m[1]);
    expect(stages).toEqual(['build', 'deps', 'runtime']);
    const runtime = DOCKERFILE.slice(DOCKERFILE.indexOf('AS runtime'));
    expect(runtime).toMatch(/^RUN .*entrypoint\.sh --check$/m);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^HEALTHCHECK .*\n\s+CMD \["node", "deploy\/docker\/healthcheck\.js"\]$/m);
    expect(runtime).toMatch(/^ENTRYPOINT \["deploy\/docker\/entrypoint\.sh"\]$/m);
    // Every file copied from the build context exists (multi-stage copies name their stage).
    for (const [, sources] of DOCKERFILE.matchAll(/^COPY (?!--from)(?:--\S+ )*(.+) \S+$/gm)) {
      for (const source of sources.split(' ').filter((s) => s !== '.')) {
        expect({ source, exists: existsSync(join(WORKSPACE_ROOT, source)) }).toEqual({
          source,
          exists: true,
        });
      }
    }
    // The context leaves out local builds, dependencies and secrets.
    const ignored = readFileSync(join(DOCKER_DIR, 'Dockerfile.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', 'dist', '.env', '.env.*', '.git']));
  });
});
