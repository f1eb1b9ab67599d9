import type { RoomHandle, RoomMessage } from '@live-im/client-sdk';
import { randomBytes } from 'node:crypto';
import type { GuestSession, LiveApi, Session } from './live-api';

export const PASSWORD = 'live-e2e-password';

/** room-service env of a flood test: send budgets per user and per room far above what it sends. */
export const UNBOUNDED_SENDS: Record<string, string> = {
  USER_RATE_POINTS: '100000',
  USER_RATE_WINDOW_SEC: '1',
  ROOM_RATE_POINTS: '100000',
  ROOM_RATE_WINDOW_SEC: '1',
};

/** A short random suffix: names in one cluster never collide. */
export function unique(): string {
  return randomBytes(4).toString('hex');
}

export function roomIdFor(label: string): string {
  return `${label}-${unique()}`;
}

let sent = 0;
/** A fresh clientMsgId for one send. */
export function clientMsgId(): string {
  sent += 1;
  return `m-${unique()}-${sent}`;
}

/** A registered user (costs a password hash: keep them few). */
export function registerUser(api: LiveApi, label: string): Promise<Session> {
  return api.register(`${label}_${unique()}`, PASSWORD, label);
}

/** A guest (cheap): a distinct watch-only identity per call. */
export function guest(api: LiveApi): Promise<GuestSession> {
  return api.guest(`dev_${unique()}${unique()}`);
}

/** True when the seqs are exactly first, first+1, ..., last (no gap, no repeat, in order). */
export function isRun(seqs: readonly number[], first: number, last: number): boolean {
  if (seqs.length !== last - first + 1) return false;
  return seqs.every((seq, i) => seq === first + i);
}

/** Runs `task` over `items` with at most `limit` at once (bounded load on a 2-CPU machine). */
export async function inBatches<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** What is wrong with a lane's seqs against the run first..last: empty lists when nothing. */
export function runProblems(
  seqs: readonly number[],
  first: number,
  last: number,
): { missing: number[]; repeated: number[] } {
  const seen = new Set<number>();
  const repeated: number[] = [];
  for (const seq of seqs) {
    if (seen.has(seq)) repeated.push(seq);
    seen.add(seq);
  }
  const missing: number[] = [];
  for (let seq = first; seq <= last; seq += 1) if (!seen.has(seq)) missing.push(seq);
  return { missing, repeated };
}

/** Every message of the important lane the room log holds after `afterSeq`, paged through the SDK's history. */
export async function importantLaneLog(room: RoomHandle, afterSeq: number): Promise<RoomMessage[]> {
  const all: RoomMessage[] = [];
  let after = afterSeq;
  for (let page = 0; page < 1000; page += 1) {
    const result = await room.history('important', after, 200);
    all.push(...result.messages);
    const last = result.messages.at(-1)?.seq;
    if (last === undefined || last >= result.latestSeq) return all;
    after = last;
  }
  throw new Error('the important lane did not end after 1000 pages');
}
