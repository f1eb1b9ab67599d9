import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { freePorts } from '@live-im/testing';
import { stopChild } from '../shared/client-process';
import { FanoutTarget } from './fanout-run';

/** The baseline as a target: plain-server.js in its own process, senders named by user id. */
export interface RunningTarget {
  target: FanoutTarget;
  stop(): Promise<void>;
}

export async function startPlainTarget(
  senders: number,
  track: (child: ChildProcess) => void,
): Promise<RunningTarget> {
  const [port] = (await freePorts(1)) as [number];
  const server = fork(join(__dirname, 'plain-server.js'), [], {
    env: { ...process.env, BENCH_PLAIN_PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  track(server);
  await new Promise<void>((resolve, reject) => {
    server.once('message', () => resolve());
    server.once('exit', (code) => reject(new Error(`plain-server exited with ${code} before listening`)));
  });
  return {
    target: {
      name: 'plain Socket.IO',
      flavor: 'plain',
      url: `http://127.0.0.1:${port}`,
      roomId: 'bench-room',
      senderTokens: Array.from({ length: senders }, (_, i) => `u_benchsender${String(i).padStart(3, '0')}`),
      giftIds: ['rose', 'rocket'],
      serverPid: server.pid ?? -1,
      otherPids: {},
      metricsUrls: {},
    },
    stop: () => stopChild(server),
  };
}
