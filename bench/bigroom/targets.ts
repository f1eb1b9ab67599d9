import { ChildProcess, fork } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { freePorts } from '@live-im/testing';
import { stopChild } from '../shared/client-process';
import { inspectFlag } from '../shared/inspector-memory';
import { startOurSystem } from '../shared/our-system';
import { stampedClientMsgId } from '../shared/send-stamp';

/**
 * The two kinds of server bench/bigroom measures, each as several processes holding one room:
 * our gateways (with the rest of the system behind them) and plain Socket.IO servers
 * (plain-server.ts). Every measured process runs with an inspector port, through which the bench
 * asks for a garbage collection before reading memory.
 */
export interface MeasuredServer {
  url: string;
  pid: number;
  inspectPort: number;
  metricsUrl: string;
}

export interface BigroomTarget {
  kind: 'ours' | 'plain';
  name: string;
  servers: MeasuredServer[];
  roomId: string;
  /** Where the chat senders connect, each with every token (plain: one sender per server). */
  chatUrls: string[];
  senderTokens: string[];
  /** Settings changed from the shipped defaults, printed. */
  overrides: string[];
  /** Ours: the processes whose Redis commands the capacity load counts, by app. */
  redisApps?: Record<string, number[]>;
  /** One important push into the room, through the target's push API; resolves when accepted. */
  push(n: number): Promise<void>;
  stop(): Promise<void>;
}

/** `nodeArgs`: extra node flags for every gateway (profiling, e.g. `--cpu-prof`); none by default. */
export async function startOurBigroom(
  gateways: number,
  senders: number,
  nodeArgs: readonly string[] = [],
): Promise<BigroomTarget> {
  const inspectPorts = await freePorts(gateways);
  const system = await startOurSystem({
    label: 'bigroom',
    gateways,
    senders,
    gatewayNodeArgs: (i) => [inspectFlag(inspectPorts[i]), ...nodeArgs],
  });
  return {
    kind: 'ours',
    name: `live-im gateway ×${gateways}`,
    servers: system.gateways.map((gw, i) => ({ ...gw, inspectPort: inspectPorts[i] })),
    roomId: system.roomId,
    chatUrls: [system.gateways[0]?.url],
    senderTokens: system.senderTokens,
    overrides: system.overrides,
    redisApps: {
      gateway: system.gateways.map((gw) => gw.pid),
      'room-service': [system.otherPids['room-service']],
      'user-service': [system.otherPids['user-service']],
      'node-manager': [system.otherPids['node-manager']],
      'broadcast-node': [system.otherPids['broadcast-node']],
    },
    async push(n) {
      await system.api.push(system.roomId, { n }, stampedClientMsgId(0, n));
    },
    stop: system.stop,
  };
}

function postJson(url: string, body: unknown): Promise<void> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        // A connection per call: a kept-alive one the server closes between calls resets the next.
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`POST ${url} answered ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export async function startPlainBigroom(
  servers: number,
  senders: number,
  track: (child: ChildProcess) => void,
): Promise<BigroomTarget> {
  const ports = await freePorts(2 * servers);
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map(stopChild));
  };
  try {
    const started = await Promise.all(
      Array.from({ length: servers }, async (_, i) => {
        const port = ports[2 * i];
        const inspectPort = ports[2 * i + 1];
        const child = fork(join(__dirname, 'plain-server.js'), [], {
          env: { ...process.env, BENCH_PLAIN_PORT: String(port) },
          execArgv: [inspectFlag(inspectPort)],
          stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
        });
        // The inspector's "Debugger listening" lines are not the bench's output.
        child.stderr?.on('data', (chunk: Buffer) => {
          const text = chunk.toString('utf8');
          if (!/Debugger listening|For help, see|Debugger attached|Waiting for the debugger/.test(text))
            process.stderr.write(text);
        });
        children.push(child);
        track(child);
        await new Promise<void>((resolve, reject) => {
          child.once('message', () => resolve());
          child.once('exit', (code) =>
            reject(new Error(`plain-server exited with ${code} before listening`)),
          );
        });
        const url = `http://127.0.0.1:${port}`;
        return { url, pid: child.pid ?? -1, inspectPort, metricsUrl: `${url}/metrics` };
      }),
    );
    const roomId = 'bench-bigroom';
    return {
      kind: 'plain',
      name: `plain Socket.IO ×${servers}`,
      servers: started,
      roomId,
      chatUrls: started.map((server) => server.url),
      senderTokens: Array.from({ length: senders }, (_, i) => `u_benchsender${String(i).padStart(4, '0')}`),
      overrides: [],
      async push(n) {
        const clientMsgId = stampedClientMsgId(0, n);
        await Promise.all(
          started.map((server) => postJson(`${server.url}/push`, { roomId, body: { n }, clientMsgId })),
        );
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
