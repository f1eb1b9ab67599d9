import {
  Command,
  encodeReplyMeta,
  header,
  packPairs,
  readHeader,
  ReplyStatus,
  unpackPairs,
} from '@live-im/zmq-transport';
import { Dealer } from 'zeromq';
import { Broker, type BrokerOptions } from '../broker';

/** A broker on free loopback ports. */
export async function startBroker(options: Partial<BrokerOptions> = {}): Promise<Broker> {
  const broker = new Broker({
    frontendBind: 'tcp://127.0.0.1:0',
    backendBind: 'tcp://127.0.0.1:0',
    brokerId: 'test-broker',
    ...options,
  });
  await broker.start();
  return broker;
}

/** A DEALER speaking raw LRPC/1 frames, as a client or worker written from the protocol doc would. */
export class ScriptedPeer {
  readonly socket = new Dealer({ linger: 0, receiveTimeout: 2000 });

  constructor(endpoint: string) {
    this.socket.connect(endpoint);
  }

  /** REQUEST and REPLY pairs are packed into the batch frame, as on the wire. */
  send(command: Command, ...frames: Buffer[]): Promise<void> {
    const body = isBatched(command) ? [packPairs(frames)] : frames;
    return this.socket.send([header(command), ...body]);
  }

  sendRaw(frames: Buffer[]): Promise<void> {
    return this.socket.send(frames);
  }

  /** The next message: its command and the frames after the header. */
  async receive(): Promise<{ command: Command; frames: Buffer[] }> {
    const [head, ...frames] = await this.socket.receive();
    const command = readHeader(head);
    return { command, frames: isBatched(command) && frames[0] ? unpackPairs(frames[0]) : frames };
  }

  /** Skips messages until one with this command arrives. */
  async receiveCommand(command: Command): Promise<Buffer[]> {
    for (;;) {
      const message = await this.receive();
      if (message.command === command) return message.frames;
    }
  }

  /** Resolves when nothing arrives within `ms`. */
  async expectSilence(ms: number): Promise<void> {
    this.socket.receiveTimeout = ms;
    try {
      const message = await this.receive();
      throw new Error(`expected silence, got command ${message.command}`);
    } catch (error) {
      if ((error as { code?: string }).code !== 'EAGAIN') throw error;
    } finally {
      this.socket.receiveTimeout = 2000;
    }
  }

  close(): void {
    this.socket.close();
  }
}

export function ready(service: string, instance: string, capacity: number): Buffer {
  return Buffer.from(JSON.stringify({ service, instance, version: '0.1.0', capacity, pid: process.pid }));
}

export function replyPair(id: number, body: string, status: ReplyStatus = ReplyStatus.OK): Buffer[] {
  return [encodeReplyMeta(id, status, 0), Buffer.from(body)];
}

export function pairs(frames: Buffer[]): Array<[Buffer, Buffer]> {
  const out: Array<[Buffer, Buffer]> = [];
  for (let i = 0; i + 1 < frames.length; i += 2) out.push([frames[i], frames[i + 1]]);
  return out;
}

function isBatched(command: Command): boolean {
  return command === Command.REQUEST || command === Command.REPLY;
}
