import { waitFor } from '@live-im/testing';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { PushResult } from './support/live-api';
import { LiveCluster, type LiveApp } from './support/live-cluster';
import { registerUser, roomIdFor, unique } from './support/fixtures';

interface LogLine {
  app?: string;
  reqId?: string;
  msg?: string;
  res?: { statusCode?: number };
}

/** The JSON lines an app has written so far (its log file also holds Nest's and Node's plain lines). */
function jsonLines(app: LiveApp): LogLine[] {
  const file = app.process?.logFile;
  if (file === undefined) return [];
  const lines: LogLine[] = [];
  for (const text of readFileSync(file, 'utf8').split('\n')) {
    if (!text.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(text) as LogLine);
    } catch {
      // A line still being written.
    }
  }
  return lines;
}

function logText(app: LiveApp): string {
  const file = app.process?.logFile;
  return file === undefined ? '' : readFileSync(file, 'utf8');
}

/**
 * Logs at debug level across a whole cluster: one request id followed from the gateway's HTTP API
 * through the broker and room-service to the broadcast node, and no password or token written by
 * any process, whatever it logs.
 */
describe('request ids and secrets in the logs', () => {
  let cluster: LiveCluster;

  beforeAll(async () => {
    cluster = await LiveCluster.start({ label: 'trace', env: { LOG_LEVEL: 'debug' } });
  }, 60_000);

  afterAll(async () => {
    await cluster?.close();
  });

  it('follows the x-request-id of a business push through gateway, broker, room-service and broadcast node', async () => {
    const api = cluster.api(0);
    const owner = await registerUser(api, 'owner');
    const roomId = roomIdFor('trace');
    await api.createRoom(roomId, 'trace', owner.user.userId);
    const { client } = await cluster.joined(1, roomId);

    const reqId = `trace-${randomBytes(8).toString('hex')}`;
    const gateway = cluster.gateways[0];
    const res = await fetch(`${gateway.url}/api/rooms/${roomId}/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': cluster.apiKey, 'x-request-id': reqId },
      body: JSON.stringify({ lane: 'important', type: 'custom', body: { notice: 'traced' } }),
    });
    expect(res.status).toBeLessThan(300);
    const push = (await res.json()) as PushResult;
    await waitFor(() => client.arrivals.some((a) => a.message.id === push.messageId), {
      what: 'the push arrives',
    });

    const byRole = (role: string) => cluster.apps.filter((app) => app.app === role);
    const carries = (role: string) =>
      byRole(role).some((app) => jsonLines(app).some((l) => l.reqId === reqId));
    // Log lines reach the files through pipes: give them a moment.
    await waitFor(
      () => ['gateway', 'rpc-broker', 'room-service', 'broadcast-node'].every((role) => carries(role)),
      { what: `reqId ${reqId} in the logs of every hop`, timeoutMs: 20_000 },
    ).catch(() => undefined);
    const seen = Object.fromEntries(
      ['gateway', 'rpc-broker', 'room-service', 'broadcast-node'].map((role) => [role, carries(role)]),
    );
    expect(seen).toEqual({ gateway: true, 'rpc-broker': true, 'room-service': true, 'broadcast-node': true });
    // Every line naming it says which app wrote it, and none names it twice.
    for (const app of cluster.apps) {
      for (const line of jsonLines(app).filter((l) => l.reqId === reqId)) expect(line.app).toBe(app.app);
      const raw = logText(app)
        .split('\n')
        .filter((text) => text.includes(reqId));
      for (const text of raw) expect(text.split('"reqId"').length).toBeLessThanOrEqual(2);
    }
  });

  it('writes neither a password nor a token into any log, at debug level', async () => {
    const api = cluster.api(1);
    const password = `pw-${randomBytes(12).toString('hex')}`;
    const username = `secret_${unique()}`;
    const registered = await api.register(username, password, 'secret');
    const session = await api.login(username, password);
    const guest = await api.guest(`dev_${unique()}`);
    const client = await cluster.client(0, { token: session.token });
    await client.send('join', { roomId: roomIdFor('secret') }).catch(() => undefined);
    // A bad password and a bad token make the failure paths log too.
    await api.login(username, `${password}-wrong`).catch(() => undefined);
    const refused = cluster.unconnectedClient(1, { token: `${session.token}x` });
    await refused.connected().catch(() => undefined);
    // The log lines of those requests have landed once the last HTTP one, the refused login (401),
    // has its line in its gateway's log.
    await waitFor(() => cluster.apps.every((app) => logText(app).length > 0), { what: 'log files' });
    await waitFor(() => jsonLines(cluster.gateways[1]).some((line) => line.res?.statusCode === 401), {
      what: "the refused login's request line",
    });

    const secrets = [password, registered.token, session.token, guest.token];
    for (const app of cluster.apps) {
      const text = logText(app);
      expect(text.length).toBeGreaterThan(0);
      for (const secret of secrets) {
        if (text.includes(secret)) throw new Error(`${app.name} logged a secret (${secret.slice(0, 6)}…)`);
      }
    }
    // The lines of those requests were written: the check above looked at real debug output.
    const gatewayLines = cluster.gateways.flatMap((app) => jsonLines(app));
    expect(gatewayLines.some((line) => line.msg === 'request completed')).toBe(true);
  });
});
