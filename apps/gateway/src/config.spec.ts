import { ConfigError, parseConfig } from '@live-im/config';
import { GatewayEnv } from './config';

const KEY = { API_KEY: 'a-key-of-sixteen+' };

function problem(env: Record<string, string>): string {
  try {
    parseConfig(GatewayEnv, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('parsed');
}

describe('GatewayEnv', () => {
  it('applies the documented defaults', () => {
    const config = parseConfig(GatewayEnv, KEY);
    expect(config).toMatchObject({
      HTTP_PORT: 3000,
      ADMIN_PORT: 3050,
      RPC_BROKER_FRONTENDS: ['tcp://127.0.0.1:5555'],
      NM_ROUTER: 'tcp://127.0.0.1:5580',
      NM_PUB: 'tcp://127.0.0.1:5581',
      REGION: 'home',
      CORS_ORIGINS: [],
      PRESENCE_FLUSH_MS: 1000,
      PRESENCE_LEASE_MS: 3000,
      RECEIPT_RETRY_MS: 1000,
      RECEIPT_TIMEOUT_MS: 15_000,
      SLOW_SOCKET_BYTES: 65_536,
      IMPORTANT_BACKLOG_BYTES: 524_288,
      CONNECT_BURST_PER_IP: 500,
      CONNECTS_PER_IP_PER_SEC: 50,
      MAX_CONNECTIONS_PER_IP: 1000,
      MAX_CONNECTIONS: 0,
      SEND_BUFFER_BYTES: 65_536,
      JOINS_PER_SOCKET_PER_SEC: 5,
      EVENTS_PER_SOCKET_PER_SEC: 50,
      MAX_ROOMS_PER_SOCKET: 10,
      TRUST_PROXY: false,
    });
  });

  it('requires an API key of at least 16 characters', () => {
    expect(problem({})).toContain('API_KEY');
    expect(problem({ API_KEY: 'short' })).toContain('API_KEY');
  });

  it('reads CORS origins as a list of http(s) origins, or * alone', () => {
    expect(
      parseConfig(GatewayEnv, { ...KEY, CORS_ORIGINS: 'https://live.example.com, http://localhost:5173' })
        .CORS_ORIGINS,
    ).toEqual(['https://live.example.com', 'http://localhost:5173']);
    expect(problem({ ...KEY, CORS_ORIGINS: 'ftp://files.example.com' })).toContain('CORS_ORIGINS');
    expect(problem({ ...KEY, CORS_ORIGINS: '*,https://live.example.com' })).toContain('CORS_ORIGINS');
  });

  it('keeps the presence lease longer than the flush interval', () => {
    expect(problem({ ...KEY, PRESENCE_FLUSH_MS: '2000', PRESENCE_LEASE_MS: '2000' })).toContain(
      'PRESENCE_LEASE_MS',
    );
  });

  it('keeps the admin listener off the public port', () => {
    expect(problem({ ...KEY, HTTP_PORT: '4000', ADMIN_PORT: '4000' })).toContain('ADMIN_PORT');
    expect(parseConfig(GatewayEnv, { ...KEY, HTTP_PORT: '0', ADMIN_PORT: '0' }).ADMIN_PORT).toBe(0);
  });

  it('keeps the connection limits in range (MAX_CONNECTIONS 0: derived from the open-files limit)', () => {
    expect(problem({ ...KEY, CONNECT_BURST_PER_IP: '0' })).toContain('CONNECT_BURST_PER_IP');
    expect(problem({ ...KEY, MAX_CONNECTIONS_PER_IP: '0' })).toContain('MAX_CONNECTIONS_PER_IP');
    expect(problem({ ...KEY, MAX_CONNECTIONS: '-1' })).toContain('MAX_CONNECTIONS');
  });

  it('takes a send buffer bound of 0 (off) or at least 4096 bytes', () => {
    expect(parseConfig(GatewayEnv, { ...KEY, SEND_BUFFER_BYTES: '0' }).SEND_BUFFER_BYTES).toBe(0);
    expect(problem({ ...KEY, SEND_BUFFER_BYTES: '100' })).toContain('SEND_BUFFER_BYTES');
    expect(problem({ ...KEY, SEND_BUFFER_BYTES: String(8 * 1024 * 1024) })).toContain('SEND_BUFFER_BYTES');
  });

  it('names a bad endpoint or region', () => {
    const message = problem({ ...KEY, RPC_BROKER_FRONTENDS: 'http://broker', REGION: 'EU West' });
    expect(message).toContain('RPC_BROKER_FRONTENDS');
    expect(message).toContain('REGION');
  });
});
