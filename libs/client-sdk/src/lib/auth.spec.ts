import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { auth } from './auth';

type Route = (req: IncomingMessage, body: string, res: ServerResponse) => void;

describe('auth over HTTP', () => {
  let server: Server;
  let baseUrl: string;
  const routes = new Map<string, Route>();
  const seen: Array<{ path: string; body: string }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        seen.push({ path: req.url ?? '', body });
        const route = routes.get(`${req.method} ${req.url}`);
        if (route) route(req, body, res);
        else res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const json = (res: ServerResponse, status: number, value: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));

  it('returns the validated session', async () => {
    const user = {
      userId: 'u_alice0001',
      username: 'alice',
      nickname: 'Alice',
      avatarUrl: null,
      level: 0,
      role: 'user',
      createdAt: 1,
      bannedUntil: null,
    };
    routes.set('POST /api/auth/register', (_req, _body, res) =>
      json(res, 201, { token: 't', expiresAt: 2, user }),
    );
    const session = await auth.register(baseUrl, {
      username: 'alice',
      password: 'password1',
      nickname: 'Alice',
    });
    expect(session).toEqual({ token: 't', expiresAt: 2, user });
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({
      username: 'alice',
      password: 'password1',
      nickname: 'Alice',
    });
  });

  it("turns the body's contract error into LiveError with its code and details", async () => {
    routes.set('POST /api/auth/login', (_req, _body, res) =>
      json(res, 403, { error: { code: 'BANNED', message: 'banned', details: { until: 9 } } }),
    );
    await expect(auth.login(baseUrl, { username: 'alice', password: 'password1' })).rejects.toMatchObject({
      name: 'LiveError',
      code: 'BANNED',
      details: { until: 9 },
    });
  });

  it('maps an answer without a contract body by its status', async () => {
    routes.set('POST /api/auth/guest', (_req, _body, res) =>
      res.writeHead(503).end('<html>bad gateway</html>'),
    );
    await expect(auth.guest(baseUrl, 'device-0001')).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });

  it('rejects a malformed answer as INTERNAL', async () => {
    routes.set('GET /api/gifts', (_req, _body, res) => json(res, 200, { gifts: [{ giftId: 'Rose!' }] }));
    await expect(auth.gifts(baseUrl)).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('validates the request before sending it', async () => {
    const before = seen.length;
    await expect(auth.login(baseUrl, { username: 'a', password: 'short' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(seen.length).toBe(before);
  });

  it('times out with DEADLINE_EXCEEDED and reports an unreachable gateway as SERVICE_UNAVAILABLE', async () => {
    routes.set('GET /api/gifts', () => undefined);
    await expect(auth.gifts(baseUrl, { timeoutMs: 100 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
    await expect(auth.gifts('http://127.0.0.1:9')).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });
});
