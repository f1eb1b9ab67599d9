import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { ErrorCode, RpcError, UserRpc, type TokenClaims, type UserProfile } from '@live-im/contracts';
import { builtEntry, freePorts, testBusEnv, WORKSPACE_ROOT } from '@live-im/testing';
import type { RpcClient } from '@live-im/zmq-transport';
import jwt from 'jsonwebtoken';
import { BrokerNode, RpcCluster } from './support/rpc-cluster';

interface Session {
  token: string;
  expiresAt: number;
  user: UserProfile;
}

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a built entry point to its end (asynchronously: this process's heartbeats must go on). */
function run(entry: string, args: string[], env: Record<string, string> = {}): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], {
      cwd: WORKSPACE_ROOT,
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function rpcError(call: Promise<unknown>): Promise<RpcError> {
  try {
    await call;
  } catch (error) {
    return RpcError.from(error);
  }
  throw new Error('the call succeeded');
}

describe('user-service through the broker', () => {
  const cluster = new RpcCluster('user-service');
  let broker: BrokerNode;
  let client: RpcClient;
  const username = `alice_${randomBytes(3).toString('hex')}`;
  const password = 'correct horse battery';

  beforeAll(async () => {
    broker = await cluster.startBroker();
    await cluster.startUserService();
    client = cluster.client();
  });

  afterAll(() => cluster.close());

  it('registers, logs in, verifies the token and reads the profile', async () => {
    const registered = (await client.call(UserRpc.register.pattern, {
      username,
      password,
      nickname: 'Alice',
    })) as Session;
    expect(registered.user).toMatchObject({ username, nickname: 'Alice', role: 'user', bannedUntil: null });

    const session = (await client.call(
      UserRpc.login.pattern,
      { username, password },
      { idempotent: true },
    )) as Session;
    expect(session.user.userId).toBe(registered.user.userId);
    expect(session.expiresAt).toBeGreaterThan(Date.now());

    const claims = (await client.call(
      UserRpc.verifyToken.pattern,
      { token: session.token },
      { idempotent: true },
    )) as TokenClaims;
    expect(claims).toMatchObject({
      userId: registered.user.userId,
      nickname: 'Alice',
      role: 'user',
      level: 0,
    });

    const profile = (await client.call(
      UserRpc.getProfile.pattern,
      { userId: claims.userId },
      { idempotent: true },
    )) as UserProfile;
    expect(profile).toEqual(registered.user);
  });

  it('answers INVALID_ARGUMENT naming the field of a schema-invalid payload', async () => {
    const error = await rpcError(
      client.call(UserRpc.register.pattern, { username: 'x', password, nickname: 'X' }),
    );
    expect(error.code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(error.message).toContain('username');
    expect(error.details?.['fields']).toEqual([expect.objectContaining({ field: 'username' })]);

    const nested = await rpcError(
      client.call(UserRpc.getProfile.pattern, { userId: 42 }, { idempotent: true }),
    );
    expect(nested.code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(nested.message).toContain('userId');
  });

  it('answers UNAUTHENTICATED to a wrong password', async () => {
    const error = await rpcError(
      client.call(UserRpc.login.pattern, { username, password: 'wrong password!' }, { idempotent: true }),
    );
    expect(error.code).toBe(ErrorCode.UNAUTHENTICATED);
  });

  it('answers UNAUTHENTICATED to a token signed with another key', async () => {
    const forged = jwt.sign(
      {
        sub: 'g_forgedGuest01',
        nick: 'Forged',
        role: 'guest',
        lvl: 0,
        exp: Math.floor(Date.now() / 1000) + 600,
      },
      randomBytes(32).toString('hex'),
      { algorithm: 'HS256' },
    );
    const error = await rpcError(
      client.call(UserRpc.verifyToken.pattern, { token: forged }, { idempotent: true }),
    );
    expect(error.code).toBe(ErrorCode.UNAUTHENTICATED);

    // The same claims signed with the cluster's key pass: only the signature was wrong.
    const genuine = jwt.sign(
      {
        sub: 'g_forgedGuest01',
        nick: 'Forged',
        role: 'guest',
        lvl: 0,
        exp: Math.floor(Date.now() / 1000) + 600,
      },
      cluster.jwtSecret,
      { algorithm: 'HS256' },
    );
    await expect(
      client.call(UserRpc.verifyToken.pattern, { token: genuine }, { idempotent: true }),
    ).resolves.toMatchObject({
      userId: 'g_forgedGuest01',
    });
  });

  it('rpc-cli lists the services and calls user.guest against the running cluster', async () => {
    const cli = builtEntry('rpc-cli');
    const services = await run(cli, ['services', '--brokers', broker.frontend], testBusEnv('rpc-cli'));
    expect(services).toMatchObject({ code: 0, stderr: '' });
    expect(services.stdout).toContain('user');

    const listed = await run(
      cli,
      ['services', '--json', '--brokers', broker.frontend],
      testBusEnv('rpc-cli'),
    );
    const [entry] = JSON.parse(listed.stdout) as Array<{
      stats: { services: Record<string, { workers: unknown[] }> };
    }>;
    expect(entry?.stats.services['user']?.workers).toHaveLength(1);

    const guest = await run(
      cli,
      ['call', 'user.guest', '{}', '--brokers', broker.frontend],
      testBusEnv('rpc-cli'),
    );
    expect(guest.code).toBe(0);
    expect(JSON.parse(guest.stdout)).toMatchObject({
      token: expect.any(String),
      guestId: expect.stringMatching(/^g_/),
    });

    const invalid = await run(
      cli,
      ['call', 'user.login', '{}', '--brokers', broker.frontend],
      testBusEnv('rpc-cli'),
    );
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain(ErrorCode.INVALID_ARGUMENT);
  });

  it('an app given a bad environment value exits 1 with one line on stderr naming the variable', async () => {
    const [http, frontend, backend] = await freePorts(3);
    const brokerExit = await run(builtEntry('rpc-broker'), [], {
      ADMIN_PORT: String(http),
      RPC_FRONTEND_BIND: `tcp://127.0.0.1:${frontend}`,
      RPC_BACKEND_BIND: `tcp://127.0.0.1:${backend}`,
      HEARTBEAT_MS: 'often',
    });
    expect(brokerExit.code).toBe(1);
    expect(brokerExit.stderr.trim().split('\n')).toHaveLength(1);
    expect(brokerExit.stderr).toContain('HEARTBEAT_MS');

    const serviceExit = await run(builtEntry('user-service'), [], {
      ADMIN_PORT: String(http),
      RPC_BROKER_BACKENDS: broker.backend,
      JWT_SECRET: 'too-short',
    });
    expect(serviceExit.code).toBe(1);
    expect(serviceExit.stderr.trim().split('\n')).toHaveLength(1);
    expect(serviceExit.stderr).toContain('JWT_SECRET');
  });
});
