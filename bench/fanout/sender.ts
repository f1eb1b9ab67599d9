import {
  BenchMessageType,
  ChildCommand,
  SendCommand,
  SenderReport,
  cpuMsSince,
  exitWithParent,
  reply,
} from './ipc';
import { LatencyHistogram } from '../shared/latency-histogram';
import { errorText } from '../shared/client-process';
import { openRoomSockets } from './room-sockets';
import type { WireSocket } from '../shared/wire-socket';
import { nowMs, stampedClientMsgId } from '../shared/send-stamp';

/**
 * The sending process of bench/fanout: signed-in users in the room send chat and gifts open-loop
 * at fixed rates, round-robin over the users, whatever the server answers; every ack is counted.
 */
const TICK_MS = 5;
/** Long: a server that falls behind still answers, late, and its lateness is what is measured. */
const ACK_TIMEOUT_MS = 300_000;
/** About the length of a real danmaku line. */
const CHAT_TEXT = 'this stream is great, greetings from the bench! 666';

let sockets: WireSocket[] = [];
let roomId = '';
let messageNumber = 0;

function send(command: SendCommand): Promise<SenderReport> {
  const sent = { chat: 0, gift: 0 };
  const acked = { chat: 0, gift: 0 };
  const errors: Record<string, number> = {};
  const ackLatency = { chat: new LatencyHistogram(), gift: new LatencyHistogram() };
  const cpuSince = process.cpuUsage();
  let pending = 0;
  let nextSocket = 0;

  const emit = (type: BenchMessageType, giftId: string) => {
    const index = nextSocket++ % sockets.length;
    const socket = sockets[index];
    const clientMsgId = stampedClientMsgId(index, (messageNumber += 1));
    const sentAt = nowMs();
    const onAck = (answer: { ok: boolean; error?: { code: string } } | undefined) => {
      pending -= 1;
      if (answer === undefined) errors['timeout'] = (errors['timeout'] ?? 0) + 1;
      else if (answer.ok) {
        acked[type] += 1;
        ackLatency[type].record(nowMs() - sentAt);
      } else {
        const code = answer.error?.code ?? 'unknown';
        errors[code] = (errors[code] ?? 0) + 1;
      }
    };
    pending += 1;
    sent[type] += 1;
    const payload =
      type === 'chat' ? { roomId, text: CHAT_TEXT, clientMsgId } : { roomId, giftId, count: 1, clientMsgId };
    socket.emitWithAck(type, payload, ACK_TIMEOUT_MS).then(
      (answer) => onAck(answer as { ok: boolean; error?: { code: string } }),
      () => onAck(undefined),
    );
  };

  return new Promise((resolve) => {
    const startedAt = nowMs();
    const endsAt = startedAt + command.seconds * 1000;
    const ticker = setInterval(() => {
      const now = Math.min(nowMs(), endsAt);
      const elapsedSec = (now - startedAt) / 1000;
      const chatDue = Math.floor(elapsedSec * command.chatPerSec) - sent.chat;
      const giftDue = Math.floor(elapsedSec * command.giftPerSec) - sent.gift;
      for (let i = 0; i < giftDue; i += 1) emit('gift', command.giftIds[sent.gift % command.giftIds.length]);
      for (let i = 0; i < chatDue; i += 1) emit('chat', '');
      if (now < endsAt) return;
      clearInterval(ticker);
      const seconds = (nowMs() - startedAt) / 1000;
      const settled = setInterval(() => {
        if (pending > 0) return;
        clearInterval(settled);
        resolve({
          sent,
          acked,
          errors,
          ackLatency: { chat: ackLatency.chat.toJSON(), gift: ackLatency.gift.toJSON() },
          cpuMs: cpuMsSince(cpuSince),
          seconds,
        });
      }, 20);
    }, TICK_MS);
  });
}

async function handle(command: ChildCommand): Promise<void> {
  switch (command.kind) {
    case 'connect':
      roomId = command.roomId;
      sockets = await openRoomSockets(
        command.url,
        command.roomId,
        command.tokens,
        command.sourceBlock,
        () => undefined,
      );
      reply({ kind: 'connected', sockets: sockets.length });
      return;
    case 'send':
      reply({ kind: 'sent', report: await send(command) });
      return;
    default:
      throw new Error(`the sender does not take ${command.kind}`);
  }
}

exitWithParent();
process.on('message', (command: ChildCommand) => {
  handle(command).catch((error: unknown) => reply({ kind: 'failed', error: errorText(error) }));
});
