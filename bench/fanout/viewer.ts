import type { BatchInfo, RoomMessage } from '@live-im/contracts';
import {
  BENCH_MESSAGE_TYPES,
  BenchMessageType,
  ChildCommand,
  ConnectCommand,
  ViewerReport,
  cpuMsSince,
  exitWithParent,
  reply,
} from './ipc';
import { LatencyHistogram } from '../shared/latency-histogram';
import { errorText } from '../shared/client-process';
import { openRoomSockets } from './room-sockets';
import type { WireSocket } from '../shared/wire-socket';
import { nowMs, sentAtOf } from '../shared/send-stamp';

/**
 * A client process of bench/fanout: holds its share of the room's viewers. Every socket counts
 * what it is delivered; the probe sockets also parse each message for its latency, since parsing
 * every body on every socket would make the clients, not the server, the thing measured.
 */

/** Ours: chat is the only normal-lane traffic in the bench and gifts the only important-lane one. */
const TYPE_OF_LANE: Record<BatchInfo['lane'], BenchMessageType> = { normal: 'chat', important: 'gift' };

let sockets: WireSocket[] = [];

class ViewerCounters {
  delivered: Record<BenchMessageType, number> = { chat: 0, gift: 0 };
  events = 0;
  flowControlDropped = 0;
  gaps = 0;
  disconnects: Record<string, number> = {};
  /** Probes only: bytes of the messages they parsed (ours: batch bodies; plain: each message as JSON). */
  probeBytes = 0;
  probeMessages = 0;
  lastDeliveryAt = 0;
  latency = { chat: new LatencyHistogram(), gift: new LatencyHistogram() };
  fromServerStamp = { chat: new LatencyHistogram(), gift: new LatencyHistogram() };
  cpuSince = process.cpuUsage();
  readonly connectedAtReset = sockets.filter((socket) => socket.connected).length;

  recordLatency(message: RoomMessage, receivedAt: number): void {
    const type = message.type === 'gift' ? 'gift' : message.type === 'chat' ? 'chat' : undefined;
    if (!type) return;
    const sentAt = sentAtOf(message.clientMsgId);
    if (sentAt !== undefined) this.latency[type].record(receivedAt - sentAt);
    this.fromServerStamp[type].record(receivedAt - message.ts);
  }

  report(sockets: WireSocket[]): ViewerReport {
    const histograms = (set: Record<BenchMessageType, LatencyHistogram>) =>
      Object.fromEntries(
        BENCH_MESSAGE_TYPES.map((type) => [type, set[type].toJSON()]),
      ) as ViewerReport['latency'];
    return {
      sockets: sockets.length,
      delivered: { ...this.delivered },
      events: this.events,
      flowControlDropped: this.flowControlDropped,
      gaps: this.gaps,
      disconnects: this.disconnects,
      connectedAtReset: this.connectedAtReset,
      connected: sockets.filter((socket) => socket.connected).length,
      latency: histograms(this.latency),
      fromServerStamp: histograms(this.fromServerStamp),
      cpuMs: cpuMsSince(this.cpuSince),
      lastDeliveryAt: this.lastDeliveryAt,
      probeBytes: this.probeBytes,
      probeMessages: this.probeMessages,
    };
  }
}

let counters = new ViewerCounters();

/** Last seq seen per lane on one socket: a jump is a gap (normal seqs the batch info accounts for are not). */
interface LaneCursor {
  normal: number;
  important: number;
}

/**
 * Probes spread evenly over the join order: a server writes a broadcast to its sockets in join
 * order, so the first sockets alone would see only the front of every fan-out.
 */
function isProbe(index: number, sockets: number, probes: number): boolean {
  if (probes <= 0) return false;
  const step = Math.max(1, Math.floor(sockets / probes));
  return index % step === step - 1 && index / step < probes;
}

function listen(socket: WireSocket, command: ConnectCommand, probe: boolean): void {
  const cursor: LaneCursor = { normal: 0, important: 0 };
  socket.onClose((reason) => {
    counters.disconnects[reason] = (counters.disconnects[reason] ?? 0) + 1;
  });
  if (command.flavor === 'ours') {
    socket.on('batch', (event) => {
      const info = event.first as BatchInfo;
      const c = counters;
      c.events += 1;
      c.delivered[TYPE_OF_LANE[info.lane]] += info.count;
      c.flowControlDropped += info.lastSeq - info.firstSeq + 1 - info.count;
      const last = cursor[info.lane];
      if (last > 0 && info.firstSeq > last + 1) c.gaps += info.firstSeq - last - 1;
      if (info.lastSeq > last) cursor[info.lane] = info.lastSeq;
      const receivedAt = nowMs();
      c.lastDeliveryAt = receivedAt;
      if (probe) {
        // What the SDK does with a batch: the packet, then the body it carries.
        const [, , body] = JSON.parse(event.packet.toString('utf8')) as [string, BatchInfo, string];
        const messages = JSON.parse(body) as RoomMessage[];
        for (const message of messages) c.recordLatency(message, receivedAt);
        c.probeBytes += Buffer.byteLength(body);
        c.probeMessages += messages.length;
      }
    });
  } else {
    socket.on('message', (event) => {
      const message = event.first as RoomMessage;
      const c = counters;
      c.events += 1;
      if (message.type === 'chat' || message.type === 'gift') c.delivered[message.type] += 1;
      const last = cursor[message.lane];
      if (last > 0 && message.seq > last + 1) c.gaps += message.seq - last - 1;
      if (message.seq > last) cursor[message.lane] = message.seq;
      const receivedAt = nowMs();
      c.lastDeliveryAt = receivedAt;
      if (probe) {
        c.recordLatency(message, receivedAt);
        c.probeBytes += Buffer.byteLength(JSON.stringify(message));
        c.probeMessages += 1;
      }
    });
  }
}

async function handle(command: ChildCommand): Promise<void> {
  switch (command.kind) {
    case 'connect':
      sockets = await openRoomSockets(
        command.url,
        command.roomId,
        command.tokens,
        command.sourceBlock,
        (socket, index) => listen(socket, command, isProbe(index, command.tokens.length, command.probes)),
      );
      reply({ kind: 'connected', sockets: sockets.length });
      return;
    case 'reset':
      counters = new ViewerCounters();
      reply({ kind: 'reset' });
      return;
    case 'progress': {
      const delivered = counters.delivered.chat + counters.delivered.gift;
      reply({ kind: 'progress', delivered, lastDeliveryAt: counters.lastDeliveryAt });
      return;
    }
    case 'report':
      reply({ kind: 'report', report: counters.report(sockets) });
      return;
    default:
      throw new Error(`a viewer does not take ${command.kind}`);
  }
}

exitWithParent();
process.on('message', (command: ChildCommand) => {
  handle(command).catch((error: unknown) => reply({ kind: 'failed', error: errorText(error) }));
});
