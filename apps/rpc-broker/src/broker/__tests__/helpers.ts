import {
  Command,
  decodeReplyMeta,
  decodeRequestMeta,
  encodeReplyMeta,
  encodeRequestMeta,
  ReplyStatus,
  type ReplyMeta,
  type RequestMeta,
} from '@live-im/zmq-transport';
import { DEFAULT_LIMITS, type DispatchLimits } from '../broker-options';
import { Dispatcher, type PeerOutbox, type RequestHead } from '../dispatcher';
import type { WorkerAnnouncement } from '../worker-announcement';
import type { ClientPeer } from '../client-registry';

export interface SentPair {
  dest: string;
  command: Command;
  meta: Buffer;
  body: Buffer;
}

export interface SentMessage {
  dest: string;
  command: Command;
  frames: Buffer[];
}

/** Records what the dispatcher sends, copying metas (the dispatcher rewrites them in place later). */
export class RecordingOutbox implements PeerOutbox {
  readonly pairs: SentPair[] = [];
  readonly messages: SentMessage[] = [];

  pushPair(dest: Buffer | null, command: Command, meta: Buffer, body: Buffer): void {
    this.pairs.push({ dest: dest?.toString('latin1') ?? '', command, meta: Buffer.from(meta), body });
  }

  pushMessage(dest: Buffer | null, command: Command, frames: Buffer[] = []): void {
    this.messages.push({ dest: dest?.toString('latin1') ?? '', command, frames });
  }

  /** Takes and returns what was recorded so far. */
  take(): SentPair[] {
    return this.pairs.splice(0, this.pairs.length);
  }
}

export interface Harness {
  dispatcher: Dispatcher;
  frontend: RecordingOutbox;
  backend: RecordingOutbox;
}

export function harness(limits: Partial<DispatchLimits> = {}): Harness {
  const frontend = new RecordingOutbox();
  const backend = new RecordingOutbox();
  const dispatcher = new Dispatcher({ ...DEFAULT_LIMITS, ...limits }, frontend, backend);
  return { dispatcher, frontend, backend };
}

export function announcement(service: string, instance: string, capacity: number): WorkerAnnouncement {
  return { service, instance, version: '1.0.0', capacity, pid: 1 };
}

export function addWorker(h: Harness, instance: string, capacity: number, now = 0, service = 'user') {
  return h.dispatcher.registerWorker(
    Buffer.from(instance),
    instance,
    announcement(service, instance, capacity),
    now,
  );
}

export function addClient(h: Harness, name: string, now = 0): ClientPeer {
  return h.dispatcher.clients.touch(Buffer.from(name), name, now);
}

export function requestMeta(fields: Partial<RequestMeta> & { id: number }): Buffer {
  return encodeRequestMeta({
    timeoutMs: 1000,
    flags: 0,
    codec: 0,
    pattern: 'user.login',
    traceId: '',
    ...fields,
  });
}

/** Sends one request from a client, as the frontend handler would. */
export function request(
  h: Harness,
  client: ClientPeer,
  fields: Partial<RequestMeta> & { id: number },
  now = 0,
  body: Buffer = Buffer.from('{}'),
): void {
  const meta = requestMeta(fields);
  const head: RequestHead = {
    id: fields.id,
    timeoutMs: fields.timeoutMs ?? 1000,
    flags: fields.flags ?? 0,
    patternLen: Buffer.byteLength(fields.pattern ?? 'user.login'),
  };
  h.dispatcher.acceptRequest(client, head, meta, body, now);
}

/** A worker's final OK reply to the broker-side id. */
export function reply(
  h: Harness,
  workerKey: string,
  brokerId: number,
  now = 0,
  status: ReplyStatus = ReplyStatus.OK,
): void {
  const worker = h.dispatcher.workers.get(workerKey);
  if (!worker) throw new Error(`no worker ${workerKey}`);
  const meta = encodeReplyMeta(brokerId, status, 0);
  h.dispatcher.acceptReply(worker, decodeReplyMeta(meta), meta, Buffer.from('"ok"'));
  const service = h.dispatcher.workers.service(worker.service);
  if (service) h.dispatcher.dispatchWaiting(service, now);
}

export interface Dispatched extends RequestMeta {
  worker: string;
}

export function dispatched(pairs: SentPair[]): Dispatched[] {
  return pairs.map((p) => ({ worker: p.dest, ...decodeRequestMeta(p.meta) }));
}

export interface Answered extends ReplyMeta {
  client: string;
  error?: string;
}

export function answered(pairs: SentPair[]): Answered[] {
  return pairs.map((p) => {
    const meta = decodeReplyMeta(p.meta);
    const base = { client: p.dest, ...meta };
    return meta.status === ReplyStatus.ERROR
      ? { ...base, error: (JSON.parse(p.body.toString()) as { code: string }).code }
      : base;
  });
}
