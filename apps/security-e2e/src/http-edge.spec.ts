import { ErrorCode } from '@live-im/contracts';
import { metricSample, waitFor } from '@live-im/testing';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { io, type Socket } from 'socket.io-client';
import { EdgeCluster, type HttpAnswer } from './support/edge-cluster';

/** Auth requests one client address may make per second in this cluster. */
const AUTH_PER_IP_PER_SEC = 5;

function codeOf(answer: HttpAnswer): string | undefined {
  return (JSON.parse(answer.body) as { error?: { code?: string } }).error?.code;
}

/** A log line with a stack trace: what an unexpected error writes. */
function stackLines(log: string): string[] {
  return log.split('\n').filter((line) => line.includes('"stack"') || /\n\s+at /.test(line));
}

/** issue 18, point 4: the public HTTP edge against real processes. */
describe('hardened HTTP edge', () => {
  let cluster: EdgeCluster;
  const pushPath = '/api/rooms/edge-room/push';

  beforeAll(async () => {
    cluster = await EdgeCluster.start({ AUTH_PER_IP_PER_SEC: String(AUTH_PER_IP_PER_SEC) });
  });

  afterAll(async () => {
    await cluster?.close();
  });

  function push(body: Buffer, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    return cluster.post(pushPath, body, { 'x-api-key': cluster.apiKey, ...headers });
  }

  it('answers a 2 MB push body 413 PAYLOAD_TOO_LARGE, and any body over 100 KB', async () => {
    const twoMb = Buffer.from(JSON.stringify({ event: 'x', data: { pad: 'a'.repeat(2 * 1024 * 1024) } }));
    const big = await push(twoMb, { 'x-request-id': 'edge-2mb' });
    expect(big.status).toBe(413);
    expect(codeOf(big)).toBe(ErrorCode.PAYLOAD_TOO_LARGE);
    const over = await push(Buffer.from(JSON.stringify({ pad: 'a'.repeat(101 * 1024) })));
    expect([over.status, codeOf(over)]).toEqual([413, ErrorCode.PAYLOAD_TOO_LARGE]);
    expect(stackLines(await cluster.gatewayLogSettled('edge-2mb-after'))).toEqual([]);
  });

  it('answers a bad gzip body, bad JSON and an unknown encoding 400 INVALID_ARGUMENT', async () => {
    const badGzip = await push(Buffer.from('this is not gzip'), {
      'content-encoding': 'gzip',
      'x-request-id': 'edge-bad-gzip',
    });
    expect([badGzip.status, codeOf(badGzip)]).toEqual([400, ErrorCode.INVALID_ARGUMENT]);
    // A gzip body that inflates past the limit is too large, however small it came.
    const bomb = await push(gzipSync(Buffer.alloc(4 * 1024 * 1024, 0x20)), { 'content-encoding': 'gzip' });
    expect([bomb.status, codeOf(bomb)]).toEqual([413, ErrorCode.PAYLOAD_TOO_LARGE]);
    const badJson = await push(Buffer.from('{"event":'));
    expect([badJson.status, codeOf(badJson)]).toEqual([400, ErrorCode.INVALID_ARGUMENT]);
    const unknown = await push(Buffer.from('{}'), { 'content-encoding': 'zstd-nope' });
    expect([unknown.status, codeOf(unknown)]).toEqual([400, ErrorCode.INVALID_ARGUMENT]);
    expect(stackLines(await cluster.gatewayLogSettled('edge-bad-gzip-after'))).toEqual([]);
    expect(
      await metricSample(cluster.gateway.adminUrl, 'gateway_http_errors_total', {
        code: 'PAYLOAD_TOO_LARGE',
      }),
    ).toBeGreaterThan(0);
  });

  it('refuses /API/... (any case) without the key like /api/..., in the contract shape, without a stack line', async () => {
    const lower = await cluster.post(pushPath, { event: 'x', data: {} });
    expect([lower.status, codeOf(lower)]).toEqual([401, ErrorCode.UNAUTHENTICATED]);
    for (const path of [
      '/API/rooms/edge-room/push',
      '/Api/rooms/edge-room/push',
      '/api/ROOMS/edge-room/push',
    ]) {
      const other = await cluster.post(path, { event: 'x', data: {} }, { 'x-request-id': 'edge-case' });
      expect(other.status).toBe(404);
      expect(codeOf(other)).toBe(ErrorCode.NOT_FOUND);
    }
    const withKey = await cluster.post(
      '/API/rooms/edge-room/push',
      { event: 'x', data: {} },
      { 'x-api-key': cluster.apiKey },
    );
    expect(withKey.status).toBe(404);
    expect(stackLines(await cluster.gatewayLogSettled('edge-case-after'))).toEqual([]);
  });

  it('refuses a CORS preflight and a cross-origin request from a foreign origin by default', async () => {
    const preflight = await cluster.http({
      method: 'OPTIONS',
      path: pushPath,
      headers: {
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-api-key',
      },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const simple = await cluster.http({
      path: '/api/gifts-nope',
      headers: { origin: 'https://evil.example' },
    });
    expect(simple.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('keeps a token or key put in a URL out of the log', async () => {
    const secrets = [
      randomBytes(12).toString('hex'),
      randomBytes(12).toString('hex'),
      randomBytes(12).toString('hex'),
    ];
    const answer = await cluster.http({
      path: `${pushPath}?token=${secrets[0]}&api_key=${secrets[1]}&access_token=${secrets[2]}&cursor=7`,
      headers: { 'x-request-id': 'edge-url-secret' },
    });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    const log = await cluster.gatewayLogSettled('edge-url-secret-after');
    expect(log).toContain('cursor=7');
    for (const secret of secrets) expect(log).not.toContain(secret);
  });

  it('limits the auth routes per address before reading the body', async () => {
    const from = '127.0.0.77';
    const codes: Array<string | undefined> = [];
    for (let i = 0; i < AUTH_PER_IP_PER_SEC * 3; i += 1) {
      // Not JSON at all: a parsed body would be 400, so a 429 shows the limit came first.
      codes.push(codeOf(await cluster.post('/api/auth/login', Buffer.from('{nope'), {}, from)));
    }
    expect(codes).toContain(ErrorCode.RATE_LIMITED);
    expect(
      await metricSample(cluster.gateway.adminUrl, 'gateway_auth_limited_total', { limit: 'address' }),
    ).toBeGreaterThan(0);
  });

  it('locks one account guessed from many addresses, and lets it in again when the lock ends', async () => {
    const username = `victim_${randomBytes(4).toString('hex')}`;
    const password = 'right-password-1';
    const registered = await cluster.post(
      '/api/auth/register',
      { username, password, nickname: 'victim' },
      {},
      '127.0.0.2',
    );
    expect(registered.status).toBe(201);

    const answers: HttpAnswer[] = [];
    for (let i = 0; i < 12; i += 1) {
      // A new address for every guess: the per-address limit never sees more than one.
      answers.push(
        await cluster.post(
          '/api/auth/login',
          { username, password: `guess-${i}-xx` },
          {},
          `127.0.1.${10 + i}`,
        ),
      );
    }
    const codes = answers.map(codeOf);
    expect(codes.slice(0, 5)).toEqual(Array(5).fill(ErrorCode.UNAUTHENTICATED));
    expect(codes).toContain(ErrorCode.RATE_LIMITED);
    const limited = answers.find((a) => codeOf(a) === ErrorCode.RATE_LIMITED)!;
    expect(limited.status).toBe(429);
    // While locked, even the right password is refused; another account is not affected.
    const locked = await cluster.post(
      '/api/auth/login',
      { username, password: `guess-x-xx` },
      {},
      '127.0.2.1',
    );
    const lockedRight = await cluster.post('/api/auth/login', { username, password }, {}, '127.0.2.2');
    expect([codeOf(locked), codeOf(lockedRight)]).toContain(ErrorCode.RATE_LIMITED);
    expect(
      await metricSample(cluster.gateway.adminUrl, 'gateway_auth_limited_total', { limit: 'account' }),
    ).toBeGreaterThan(0);
    // The lock ends: the right password gets in again.
    await waitFor(
      async () =>
        (await cluster.post('/api/auth/login', { username, password }, {}, '127.0.2.3')).status === 200,
      { timeoutMs: 40_000, intervalMs: 1000, what: 'the account lock to end' },
    );
  });

  it('refuses a chat with a bidi override or control character', async () => {
    const session = await cluster.post(
      '/api/auth/register',
      {
        username: `chatter_${randomBytes(4).toString('hex')}`,
        password: 'a-password-1',
        nickname: 'chatter',
      },
      {},
      '127.0.0.3',
    );
    expect(session.status).toBe(201);
    const { token } = JSON.parse(session.body) as { token: string };
    const socket: Socket = io(cluster.gateway.url, {
      transports: ['websocket'],
      auth: { token },
      reconnection: false,
      forceNew: true,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      for (const text of ['nice \u202Eevil', 'hi\u2066there\u2069', 'bell\u0007', 'zero\u200Bwidth']) {
        const ack = (await socket.emitWithAck('chat', {
          roomId: 'edge-room',
          text,
          clientMsgId: `c-${randomBytes(4).toString('hex')}`,
        })) as {
          ok: boolean;
          error?: { code: string };
        };
        expect(ack).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_ARGUMENT } });
      }
    } finally {
      socket.close();
    }
  });
});
