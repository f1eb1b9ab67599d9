import type { BatchInfo, HistoryResult, JoinResult } from '@live-im/contracts';
import { errorText, exitWithParent } from '../shared/client-process';
import { loopbackSource } from '../shared/source-address';
import { WireSocket } from '../shared/wire-socket';
import { reply, type StormCommand, type StormConnect, type StormViewerReport } from './ipc';

/**
 * A viewer process of bench/storm: its share of the room's viewers, each a socket read at the
 * wire (shared/wire-socket.ts) that behaves as the SDK does when its gateway dies: a jittered,
 * growing delay, then a random gateway other than the last one tried, a join with `resume`, and
 * its own history pull for any important seq it still lacks (the SDK's last resort). Each viewer
 * keeps the important seqs it holds, to tell whether it has every one since it first joined.
 */
const TIMEOUT_MS = 60_000;
/** Connections opened at once at the start. */
const CONNECT_CONCURRENCY = 50;
/** The most one history call returns (its contract's limit). */
const HISTORY_PAGE = 200;

interface Ack<T> {
  ok: boolean;
  data?: T;
  error?: { code: string; message?: string };
}

class Viewer {
  socket: WireSocket | undefined;
  url: string;
  /** The important seq the room was at when this viewer first joined: it is owed every later one. */
  base = 0;
  readonly important = new Set<number>();
  readonly top = { normal: 0, important: 0 };
  rejoining = false;
  rejoined = false;
  /** A join was sent on the current socket and its ack is not applied yet. */
  awaitingAck = false;
  readonly early: BatchInfo[] = [];
  completeAt = 0;
  attempt = 0;

  constructor(
    readonly index: number,
    startUrl: string,
  ) {
    this.url = startUrl;
  }

  lacks(through: number): boolean {
    for (let seq = this.base + 1; seq <= through; seq += 1) if (!this.important.has(seq)) return true;
    return false;
  }
}

let settings: StormConnect | undefined;
let viewers: Viewer[] = [];
const counts = {
  historyPulls: { gap: 0, rejoin: 0 },
  retries: 0,
  failures: {} as Record<string, number>,
  closedAgain: 0,
};

function addImportant(viewer: Viewer, seqs: Iterable<number>): void {
  for (const seq of seqs) {
    viewer.important.add(seq);
    if (seq > viewer.top.important) viewer.top.important = seq;
  }
}

/** The viewer's own pull of important seqs `afterSeq`+1..`toSeq`, a page at a time. */
async function pull(
  viewer: Viewer,
  socket: WireSocket,
  afterSeq: number,
  toSeq: number,
  why: 'gap' | 'rejoin',
): Promise<void> {
  const roomId = settings?.roomId ?? '';
  let after = afterSeq;
  while (after < toSeq) {
    counts.historyPulls[why] += 1;
    const answer = (await socket.emitWithAck(
      'history',
      { roomId, lane: 'important', afterSeq: after, limit: Math.min(HISTORY_PAGE, toSeq - after) },
      TIMEOUT_MS,
    )) as Ack<HistoryResult>;
    const messages = answer.data?.messages ?? [];
    const inRange = messages.filter((m) => m.seq > after && m.seq <= toSeq).map((m) => m.seq);
    if (inRange.length === 0) return;
    addImportant(viewer, inRange);
    after = Math.max(...inRange);
  }
}

/** Pulls every important seq the viewer lacks between its base and `through`. */
async function pullMissing(viewer: Viewer, socket: WireSocket, through: number): Promise<void> {
  let start = 0;
  for (let seq = viewer.base + 1; seq <= through + 1; seq += 1) {
    const missing = seq <= through && !viewer.important.has(seq);
    if (missing && start === 0) start = seq;
    if (!missing && start !== 0) {
      await pull(viewer, socket, start - 1, seq - 1, 'rejoin');
      start = 0;
    }
  }
}

function onBatch(viewer: Viewer, socket: WireSocket, info: BatchInfo): void {
  if (info.lane === 'normal') {
    viewer.top.normal = Math.max(viewer.top.normal, info.lastSeq);
    return;
  }
  const gapFrom = viewer.top.important + 1;
  if (info.firstSeq > gapFrom)
    void pull(viewer, socket, gapFrom - 1, info.firstSeq - 1, 'gap').catch(() => undefined);
  const seqs: number[] = [];
  for (let seq = info.firstSeq; seq <= info.lastSeq; seq += 1) seqs.push(seq);
  addImportant(viewer, seqs);
}

/** The join's answer is applied: the batches that came with it follow. */
function answered(viewer: Viewer, socket: WireSocket): void {
  viewer.awaitingAck = false;
  for (const info of viewer.early.splice(0)) onBatch(viewer, socket, info);
}

function listen(viewer: Viewer, socket: WireSocket): void {
  socket.on('batch', (event) => {
    const info = event.first as BatchInfo;
    // The join's ack and the batches after it may come in one read: they wait for the ack's turn.
    if (viewer.awaitingAck) {
      viewer.early.push(info);
      return;
    }
    onBatch(viewer, socket, info);
  });
  socket.onClose(() => {
    if (viewer.socket !== socket) return;
    if (viewer.rejoined) counts.closedAgain += 1;
    viewer.socket = undefined;
    viewer.rejoining = true;
    viewer.rejoined = false;
    viewer.attempt = 0;
    scheduleRejoin(viewer);
  });
}

/** The SDK's backoff: a base doubling from min up to max, less a random share of up to `jitter`. */
function delayFor(attempt: number): number {
  const { minDelayMs, maxDelayMs, jitter } = settings?.reconnect ?? {
    minDelayMs: 500,
    maxDelayMs: 15_000,
    jitter: 0.5,
  };
  const base = Math.min(maxDelayMs, minDelayMs * 2 ** Math.min(attempt, 32));
  return Math.max(1, Math.round(base * (1 - jitter * Math.random())));
}

function scheduleRejoin(viewer: Viewer): void {
  const delay = delayFor(viewer.attempt);
  viewer.attempt += 1;
  setTimeout(() => {
    rejoin(viewer).catch((error: unknown) => {
      counts.retries += 1;
      const reason = errorText(error).slice(0, 160);
      counts.failures[reason] = (counts.failures[reason] ?? 0) + 1;
      scheduleRejoin(viewer);
    });
  }, delay);
}

/** A random gateway other than the last one tried, as the SDK's picker. */
function nextUrl(last: string): string {
  const others = (settings?.urls ?? []).filter((url) => url !== last);
  return others.length === 0 ? last : others[Math.floor(Math.random() * others.length)];
}

async function rejoin(viewer: Viewer): Promise<void> {
  const url = nextUrl(viewer.url);
  viewer.url = url;
  const socket = await open(viewer, url);
  viewer.awaitingAck = true;
  const answer = (await socket.emitWithAck(
    'join',
    {
      roomId: settings?.roomId,
      resume: { normalSeq: viewer.top.normal, importantSeq: viewer.top.important },
    },
    TIMEOUT_MS,
  )) as Ack<JoinResult>;
  if (!answer.ok || answer.data === undefined) {
    socket.close();
    const why = `${answer.error?.code ?? 'unknown'} ${answer.error?.message ?? ''}`;
    throw new Error(`join refused: ${why.trim()}`);
  }
  const result = answer.data;
  addImportant(
    viewer,
    (result.missed?.important ?? []).map((m) => m.seq),
  );
  viewer.top.normal = Math.max(viewer.top.normal, result.seqs.normal);
  await pullMissing(viewer, socket, result.seqs.important);
  viewer.top.important = Math.max(viewer.top.important, result.seqs.important);
  answered(viewer, socket);
  viewer.rejoined = true;
  viewer.completeAt = Date.now();
}

async function open(viewer: Viewer, url: string): Promise<WireSocket> {
  const socket = await WireSocket.connect(
    url,
    {},
    TIMEOUT_MS,
    loopbackSource(settings?.sourceBlock ?? 10, viewer.index),
  );
  viewer.socket = socket;
  viewer.awaitingAck = false;
  viewer.early.length = 0;
  listen(viewer, socket);
  return socket;
}

async function connect(command: StormConnect): Promise<void> {
  settings = command;
  viewers = Array.from(
    { length: command.viewers },
    (_, i) =>
      new Viewer(command.firstIndex + i, command.urls[(command.firstIndex + i) % command.urls.length]),
  );
  for (let start = 0; start < viewers.length; start += CONNECT_CONCURRENCY) {
    await Promise.all(
      viewers.slice(start, start + CONNECT_CONCURRENCY).map(async (viewer) => {
        const socket = await open(viewer, viewer.url);
        viewer.awaitingAck = true;
        const answer = (await socket.emitWithAck(
          'join',
          { roomId: command.roomId },
          TIMEOUT_MS,
        )) as Ack<JoinResult>;
        if (!answer.ok || answer.data === undefined)
          throw new Error(`join refused: ${answer.error?.code ?? 'unknown'}`);
        viewer.base = answer.data.seqs.important;
        viewer.top.important = answer.data.seqs.important;
        viewer.top.normal = answer.data.seqs.normal;
        answered(viewer, socket);
      }),
    );
  }
}

function report(importantThrough: number): StormViewerReport {
  const rejoining = viewers.filter((viewer) => viewer.rejoining);
  const rejoined = rejoining.filter((viewer) => viewer.rejoined);
  const landed: Record<string, number> = {};
  for (const viewer of rejoined) landed[viewer.url] = (landed[viewer.url] ?? 0) + 1;
  return {
    viewers: viewers.length,
    rejoining: rejoining.length,
    rejoined: rejoined.length,
    lastCompleteAt:
      rejoined.length === rejoining.length ? Math.max(0, ...rejoined.map((viewer) => viewer.completeAt)) : 0,
    landed,
    incomplete: viewers.filter((viewer) => viewer.lacks(importantThrough)).length,
    historyPulls: { ...counts.historyPulls },
    retries: counts.retries,
    failures: { ...counts.failures },
    closedAgain: counts.closedAgain,
  };
}

async function handle(command: StormCommand): Promise<void> {
  switch (command.kind) {
    case 'connect':
      await connect(command);
      reply({ kind: 'connected', viewers: viewers.length });
      return;
    case 'report':
      reply({ kind: 'report', report: report(command.importantThrough) });
      return;
  }
}

exitWithParent();
process.on('message', (command: StormCommand) => {
  handle(command).catch((error: unknown) => process.send?.({ kind: 'failed', error: errorText(error) }));
});
