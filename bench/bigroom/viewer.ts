import type { BatchInfo, RoomMessage } from '@live-im/contracts';
import { cpuMsSince, errorText, exitWithParent } from '../shared/client-process';
import { LatencyHistogram } from '../shared/latency-histogram';
import { nowMs, sentAtOf } from '../shared/send-stamp';
import { loopbackSource } from '../shared/source-address';
import { WireSocket, type WireEvent } from '../shared/wire-socket';
import { BigroomCommand, BigroomConnect, BigroomViewerReport, reply } from './ipc';

/**
 * A viewer process of bench/bigroom: its share of the room's viewers, on several servers. Every
 * socket reads each packet as a client does (engine.io and Socket.IO framing, the batch's info,
 * seq checks per lane) and parses every important batch whole, body included, for its push →
 * receive latency; every `parseNormalEvery`-th socket also parses each normal batch's body (all
 * of them with 1: at 200 chat/s that is the whole chat stream on every socket, which on a small
 * machine makes the viewers, not the servers, the thing measured).
 */
const CONNECT_TIMEOUT_MS = 60_000;
/** Connections opened at once by one process. */
const CONNECT_CONCURRENCY = 50;

let sockets: WireSocket[] = [];

class Counters {
  important = 0;
  normal = 0;
  gaps = { normal: 0, important: 0 };
  importantLatency = new LatencyHistogram();
  disconnects: Record<string, number> = {};
  cpuSince = process.cpuUsage();
  framesAtReset = WireSocket.received.frames;
  bytesAtReset = WireSocket.received.bytes;

  report(): BigroomViewerReport {
    return {
      sockets: sockets.length,
      connected: sockets.filter((socket) => socket.connected).length,
      frames: WireSocket.received.frames - this.framesAtReset,
      bytes: WireSocket.received.bytes - this.bytesAtReset,
      important: this.important,
      normal: this.normal,
      gaps: { ...this.gaps },
      importantLatency: this.importantLatency.toJSON(),
      disconnects: this.disconnects,
      cpuMs: cpuMsSince(this.cpuSince),
    };
  }
}

let counters = new Counters();

/** What a client does with a batch event: the packet, then the body it carries. */
function parseBatch(event: WireEvent): RoomMessage[] {
  const [, , body] = JSON.parse(event.packet.toString('utf8')) as [string, BatchInfo, string];
  return JSON.parse(body) as RoomMessage[];
}

function listen(socket: WireSocket, parseNormal: boolean): void {
  const cursor = { normal: 0, important: 0 };
  socket.onClose((reason) => {
    counters.disconnects[reason] = (counters.disconnects[reason] ?? 0) + 1;
  });
  socket.on('online', (event) => {
    JSON.parse(event.packet.toString('utf8'));
  });
  socket.on('batch', (event) => {
    const info = event.first as BatchInfo;
    const c = counters;
    const last = cursor[info.lane];
    if (last > 0 && info.firstSeq > last + 1) c.gaps[info.lane] += info.firstSeq - last - 1;
    if (info.lastSeq > last) cursor[info.lane] = info.lastSeq;
    if (info.lane === 'normal') {
      c.normal += info.count;
      if (parseNormal) parseBatch(event);
      return;
    }
    const receivedAt = nowMs();
    for (const message of parseBatch(event)) {
      c.important += 1;
      const sentAt = sentAtOf(message.clientMsgId);
      if (sentAt !== undefined) c.importantLatency.record(receivedAt - sentAt);
    }
  });
}

async function connect(command: BigroomConnect): Promise<void> {
  // Interleaved over the servers, so that a slow one does not hold up the others' sockets.
  const plan: string[] = [];
  const most = Math.max(0, ...command.servers.map((server) => server.count));
  for (let i = 0; i < most; i += 1)
    for (const server of command.servers) if (i < server.count) plan.push(server.url);
  const opened: WireSocket[] = [];
  try {
    for (let start = 0; start < plan.length; start += CONNECT_CONCURRENCY) {
      await Promise.all(
        plan.slice(start, start + CONNECT_CONCURRENCY).map(async (url, offset) => {
          const index = start + offset;
          const socket = await WireSocket.connect(
            url,
            {},
            CONNECT_TIMEOUT_MS,
            loopbackSource(command.sourceBlock, index),
          );
          opened.push(socket);
          listen(socket, index % command.parseNormalEvery === 0);
          const answer = (await socket.emitWithAck(
            'join',
            { roomId: command.roomId },
            CONNECT_TIMEOUT_MS,
          )) as {
            ok: boolean;
            error?: { code: string };
          };
          if (!answer.ok) throw new Error(`join refused: ${answer.error?.code ?? 'unknown'}`);
        }),
      );
    }
  } catch (error) {
    for (const socket of opened) socket.close();
    throw error;
  }
  sockets = opened;
}

async function handle(command: BigroomCommand): Promise<void> {
  switch (command.kind) {
    case 'connect':
      await connect(command);
      reply({ kind: 'connected', sockets: sockets.length });
      return;
    case 'reset':
      counters = new Counters();
      reply({ kind: 'reset' });
      return;
    case 'progress':
      reply({
        kind: 'progress',
        important: counters.important,
        frames: WireSocket.received.frames - counters.framesAtReset,
      });
      return;
    case 'report':
      reply({ kind: 'report', report: counters.report() });
      return;
  }
}

exitWithParent();
process.on('message', (command: BigroomCommand) => {
  handle(command).catch((error: unknown) => process.send?.({ kind: 'failed', error: errorText(error) }));
});
