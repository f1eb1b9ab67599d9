import { guardListeners, listenApp } from '@live-im/bootstrap';
import { makeBusKeySet } from '@live-im/zmq-transport';
import { parseConfig } from '@live-im/config';
import { type Ack, MAX_EVENT_BYTES } from '@live-im/contracts';
import { freePorts, TestRedis, testRedisUrl, waitFor } from '@live-im/testing';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { configureHttpEdge } from './http/http-edge';
import { io, type Socket } from 'socket.io-client';
import { AppModule } from './app.module';
import { GatewayEnv } from './config';

/**
 * The gateway booted in-process with real Redis and real (unanswered) ZeroMQ endpoints: the HTTP
 * API's guard, validation and error shape, the docs, and the Socket.IO pipeline up to the point
 * where an RPC would be needed. Behaviour across the real cluster is apps/live-e2e's.
 */

/** The BUS_* env of one member of a fresh key set (keys inline: no files). */
function busEnvOf(member: string): Record<string, string> {
  const set = makeBusKeySet();
  return {
    BUS_PUBLIC_KEY: set.keys[member].publicKey,
    BUS_SECRET_KEY: set.keys[member].secretKey,
    BUS_TRUST: JSON.stringify(set.trust),
  };
}

describe('gateway app (in-process)', () => {
  const API_KEY = 'spec-api-key-0123456789';
  let app: INestApplication;
  let redis: TestRedis;
  let base: string;
  let adminBase: string;
  let closeAdmin: () => Promise<void>;
  const sockets: Socket[] = [];
  let closed = false;

  beforeAll(async () => {
    redis = new TestRedis('gateway-app');
    const [httpPort, adminPort, broker, nmRouter, nmPub] = await freePorts(5);
    const config = parseConfig(GatewayEnv, {
      LOG_LEVEL: 'silent',
      HTTP_PORT: String(httpPort),
      ADMIN_PORT: String(adminPort),
      INSTANCE_ID: 'gw-spec',
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: redis.keys.prefix,
      // Nothing listens there: calls would wait, which these tests never need.
      RPC_BROKER_FRONTENDS: `tcp://127.0.0.1:${broker}`,
      NM_ROUTER: `tcp://127.0.0.1:${nmRouter}`,
      NM_PUB: `tcp://127.0.0.1:${nmPub}`,
      API_KEY,
      EVENTS_PER_SOCKET_PER_SEC: '20',
      // The bus secured, as deployed: a key set of this spec's own.
      ...busEnvOf('gateway'),
    });
    app = await NestFactory.create(AppModule.forRoot(config), { logger: false });
    // As runApp does it: the listener guard first, then the edge, then both listeners.
    const listeners = {
      public: { host: '127.0.0.1', port: config.HTTP_PORT },
      admin: { host: '127.0.0.1', port: config.ADMIN_PORT },
    };
    guardListeners(app, listeners);
    configureHttpEdge(app, config);
    ({ closeAdmin } = await listenApp(app, listeners));
    base = `http://127.0.0.1:${config.HTTP_PORT}`;
    adminBase = `http://127.0.0.1:${config.ADMIN_PORT}`;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    if (!closed) await app?.close();
    await closeAdmin?.();
    await redis?.cleanup();
  });

  async function call(
    method: string,
    path: string,
    options: { body?: string; apiKey?: string; admin?: boolean } = {},
  ) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.apiKey !== undefined) headers['x-api-key'] = options.apiKey;
    const res = await fetch(`${options.admin ? adminBase : base}${path}`, {
      method,
      headers,
      body: options.body,
    });
    const text = await res.text();
    return {
      status: res.status,
      type: res.headers.get('content-type') ?? '',
      text,
      json: () => JSON.parse(text) as unknown,
    };
  }

  function connect(transports: Array<'polling' | 'websocket'>): Promise<Socket> {
    const socket = io(base, { transports, reconnection: false, forceNew: true });
    sockets.push(socket);
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', reject);
    });
  }

  function request(socket: Socket, event: string, payload: unknown): Promise<Ack<unknown>> {
    return socket.timeout(5000).emitWithAck(event, payload) as Promise<Ack<unknown>>;
  }

  describe('HTTP', () => {
    it('serves the probes and the metrics on the admin listener, the OpenAPI document with every route', async () => {
      expect((await call('GET', '/health/live', { admin: true })).status).toBe(200);
      const metrics = await call('GET', '/metrics', { admin: true });
      expect(metrics.text).toContain('gateway_connections{transport="websocket"}');
      const doc = (await call('GET', '/api/docs-json')).json() as {
        openapi: string;
        info: { description: string };
        paths: Record<string, Record<string, unknown>>;
      };
      expect(doc.openapi).toMatch(/^3\./);
      // The real-time half is Socket.IO; the document sends a reader to its protocol.
      expect(doc.info.description).toContain('docs/socket-protocol.md');
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          '/api/auth/register',
          '/api/gifts',
          '/api/rooms/{roomId}/push',
          '/api/rooms/{roomId}/members',
        ]),
      );
      const ui = await call('GET', '/api/docs');
      expect(ui.status).toBe(200);
      expect(ui.type).toContain('text/html');
    });

    it('answers 401 UNAUTHENTICATED without the API key, before looking at the body', async () => {
      const res = await call('POST', '/api/rooms', { body: '{}' });
      expect(res.status).toBe(401);
      expect(res.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String) } });
      expect(
        (await call('POST', '/api/rooms/r1/kick', { body: '{}', apiKey: 'wrong-key-wrong-key' })).status,
      ).toBe(401);
    });

    it('answers 400 INVALID_ARGUMENT naming the field, for bodies, paths and queries', async () => {
      const body = await call('POST', '/api/rooms', {
        body: JSON.stringify({ roomId: 'r1', title: 'x' }),
        apiKey: API_KEY,
      });
      expect(body.status).toBe(400);
      expect(body.json()).toMatchObject({
        error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('ownerId') },
      });
      const path = await call('GET', '/api/rooms/_not-a-room', { apiKey: API_KEY });
      expect(path.json()).toMatchObject({
        error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('roomId') },
      });
      const query = await call('GET', '/api/rooms/r1/members?cursor=nope', { apiKey: API_KEY });
      expect(query.json()).toMatchObject({
        error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('cursor') },
      });
      const json = await call('POST', '/api/auth/login', { body: '{"username":' });
      expect(json.status).toBe(400);
      expect(json.json()).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    });

    it('answers unknown routes 404 NOT_FOUND in the same shape', async () => {
      const res = await call('GET', '/api/nope');
      expect(res.status).toBe(404);
      expect(res.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    });

    it('reads the member list from Redis (empty for a room nobody is in)', async () => {
      const res = await call('GET', '/api/rooms/quiet-room/members', { apiKey: API_KEY });
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ roomId: 'quiet-room', members: [], nextCursor: null });
    });
  });

  describe('Socket.IO', () => {
    it.each([[['polling']], [['websocket']]] as Array<[Array<'polling' | 'websocket'>]>)(
      'accepts an anonymous viewer over %s, who may not send',
      async (transports) => {
        const socket = await connect(transports);
        expect(await request(socket, 'chat', { roomId: 'r1', text: 'hi', clientMsgId: 'c1' })).toEqual({
          ok: false,
          error: { code: 'FORBIDDEN', message: expect.stringContaining('guests') },
        });
      },
    );

    it('validates every event: the field, the size, the name, the room', async () => {
      const socket = await connect(['websocket']);
      const invalid = await request(socket, 'join', { roomId: '_user-channel' });
      expect(invalid).toMatchObject({
        ok: false,
        error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('roomId') },
      });
      const large = await request(socket, 'history', {
        roomId: 'r1',
        lane: 'normal',
        afterSeq: 0,
        pad: 'x'.repeat(MAX_EVENT_BYTES),
      });
      expect(large).toMatchObject({ ok: false, error: { code: 'PAYLOAD_TOO_LARGE' } });
      expect(await request(socket, 'shout', {})).toMatchObject({
        ok: false,
        error: { code: 'INVALID_ARGUMENT' },
      });
      expect(await request(socket, 'onlineList', { roomId: 'r1' })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
      expect(await request(socket, 'leave', { roomId: 'r1' })).toEqual({ ok: true, data: { roomId: 'r1' } });
      expect(await request(socket, 'ack', { messageId: 'm1' })).toEqual({
        ok: true,
        data: { messageId: 'm1' },
      });
    });

    it('answers an event sent without an ack callback with a failure event', async () => {
      const socket = await connect(['websocket']);
      const failure = new Promise((resolve) => socket.once('failure', resolve));
      socket.emit('leave', { roomId: 'r1' });
      expect(await failure).toEqual({
        event: 'leave',
        code: 'INVALID_ARGUMENT',
        message: expect.any(String),
      });
      // Not processed, and counted as such.
      expect((await call('GET', '/metrics', { admin: true })).text).toMatch(
        /gateway_events_refused_total\{reason="missing_ack"\} 1/,
      );
    });

    it('serves nothing operational on the public listener: the same 404 as for no route', async () => {
      const noRoute = await call('GET', '/no-such-path');
      expect(noRoute.status).toBe(404);
      for (const path of [
        '/metrics',
        '/metrics?x=1',
        '/health/live',
        '/health/ready',
        '/METRICS',
        '/cluster',
      ]) {
        const answer = await call('GET', path);
        expect({ path, status: answer.status }).toEqual({ path, status: 404 });
        expect(answer.text).not.toContain('gateway_');
        expect(answer.json()).toEqual({ message: `Cannot GET ${path}`, error: 'Not Found', statusCode: 404 });
      }
    });

    it('serves nothing public on the admin listener', async () => {
      expect((await call('GET', '/health/live', { admin: true })).status).toBe(200);
      const api = await call('GET', '/api/rooms/r1/members', { admin: true, apiKey: API_KEY });
      expect(api.status).toBe(404);
      const login = await call('POST', '/api/auth/guest', { admin: true, body: '{}' });
      expect(login.status).toBe(404);
      // Nor the docs or the page, which are mounted on Express beside Nest's routes.
      expect((await call('GET', '/api/docs', { admin: true })).status).toBe(404);
      expect((await call('GET', '/api/docs-json', { admin: true })).status).toBe(404);
      expect((await call('GET', '/', { admin: true })).status).toBe(404);
      // Socket.IO is attached to the public listener only.
      const polling = await fetch(`${adminBase}/socket.io/?EIO=4&transport=polling`);
      await polling.arrayBuffer();
      expect(polling.status).toBe(404);
    });

    it('limits events per socket', async () => {
      const socket = await connect(['websocket']);
      const acks = await Promise.all(
        Array.from({ length: 30 }, () => request(socket, 'leave', { roomId: 'r1' })),
      );
      const limited = acks.filter((ack) => !ack.ok && ack.error.code === 'RATE_LIMITED');
      expect(limited.length).toBeGreaterThan(0);
      expect(acks.length - limited.length).toBeLessThanOrEqual(20);
    });

    it('counts connections by transport', async () => {
      await connect(['polling']);
      await waitFor(
        async () =>
          /gateway_connections\{transport="polling"\} [1-9]/.test(
            (await call('GET', '/metrics', { admin: true })).text,
          ),
        {
          what: 'a polling connection in the metrics',
        },
      );
    });

    it('drops every connection at the transport on shutdown, so clients reconnect elsewhere', async () => {
      const socket = await connect(['websocket']);
      const reason = new Promise((resolve) => socket.once('disconnect', resolve));
      closed = true;
      await app.close();
      expect(await reason).toBe('transport close');
    });
  });
});
