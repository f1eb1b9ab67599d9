import pino from 'pino';
import { Writable } from 'node:stream';
import { loggerOptions } from './create-logger';
import { RequestContext } from './request-context';

function capture(): { logger: pino.Logger; lines: () => Record<string, unknown>[]; raw: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const logger = pino(loggerOptions({ app: 'test', level: 'info' }), sink);
  return {
    logger,
    raw: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const SECRET = 'Sup3rS3cret-value';

describe('createLogger', () => {
  it('writes JSON with the app name and the current request id', () => {
    const { logger, lines } = capture();
    RequestContext.run('abc123', () => logger.info({ op: 'x' }, 'hello'));
    const [line] = lines();
    expect(line).toMatchObject({ app: 'test', level: 'info', reqId: 'abc123', op: 'x', msg: 'hello' });
  });

  it('writes reqId once when the logger already binds it (pino-http request loggers)', () => {
    const { logger, raw } = capture();
    RequestContext.run('abc123', () => logger.child({ reqId: 'abc123' }).info('inside a request'));
    expect(raw().match(/"reqId"/g)).toHaveLength(1);
  });

  it('adds no reqId outside a request', () => {
    const { logger, lines } = capture();
    logger.info('boot');
    expect(lines()[0]).not.toHaveProperty('reqId');
  });

  // Each shape is one that is, or could be, logged somewhere in the cluster.
  const shapes: [string, Record<string, unknown>][] = [
    ['a top-level password', { password: SECRET }],
    ['a top-level token', { token: SECRET }],
    [
      'accessToken, refreshToken, apiKey, jwt',
      { accessToken: SECRET, refreshToken: SECRET, apiKey: SECRET, jwt: SECRET },
    ],
    ['an HTTP body (pino-http req.body)', { req: { body: { password: SECRET, token: SECRET } } }],
    [
      'HTTP request headers',
      { req: { headers: { authorization: `Bearer ${SECRET}`, cookie: SECRET, 'x-api-key': SECRET } } },
    ],
    ['response cookies', { res: { headers: { 'set-cookie': SECRET } } }],
    ['the Socket.IO handshake auth', { handshake: { auth: { token: SECRET } } }],
    [
      'the Socket.IO handshake headers',
      { handshake: { headers: { authorization: SECRET, cookie: SECRET } } },
    ],
    ['an HTTP query string', { req: { query: { token: SECRET } } }],
    ['an RPC payload (user.login)', { payload: { username: 'ann', password: SECRET } }],
    ['an RPC payload (user.verifyToken)', { pattern: 'user.verifyToken', payload: { token: SECRET } }],
    ['an RPC result (user.login)', { result: { user: { userId: 'u1' }, token: SECRET } }],
    ['a password two levels down', { call: { user: { password: SECRET } } }],
    ['a bare headers object', { headers: { authorization: SECRET, 'x-api-key': SECRET } }],
  ];

  it.each(shapes)('redacts %s', (_name, fields) => {
    const { logger, raw } = capture();
    logger.info(fields, 'line');
    expect(raw()).not.toContain(SECRET);
    expect(raw()).toContain('[redacted]');
  });

  it('keeps the fields around the secrets', () => {
    const { logger, lines } = capture();
    logger.info({ payload: { username: 'ann', password: SECRET } }, 'login');
    expect(lines()[0]).toMatchObject({ payload: { username: 'ann', password: '[redacted]' } });
  });
});
