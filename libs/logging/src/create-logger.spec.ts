import pino from 'pino';
import { Writable } from 'node:stream';
import { loggerOptions } from './create-logger';
import { RequestContext } from './request-context';

function capture(): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const logger = pino(loggerOptions({ app: 'test', level: 'info' }), sink);
  return { logger, lines: () => chunks.join('').trim().split('\n').map((l) => JSON.parse(l)) };
}

describe('createLogger', () => {
  it('writes JSON with the app name and the current request id', () => {
    const { logger, lines } = capture();
    RequestContext.run('abc123', () => logger.info({ op: 'x' }, 'hello'));
    const [line] = lines();
    expect(line).toMatchObject({ app: 'test', level: 'info', reqId: 'abc123', op: 'x', msg: 'hello' });
  });

  it('redacts passwords and tokens', () => {
    const { logger, lines } = capture();
    logger.info({ password: 'hunter22', body: { token: 'jwt' } }, 'login');
    const [line] = lines();
    expect(JSON.stringify(line)).not.toContain('hunter22');
    expect(JSON.stringify(line)).not.toContain('jwt"');
  });
});
