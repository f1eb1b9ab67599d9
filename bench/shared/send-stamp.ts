import { performance } from 'node:perf_hooks';

/**
 * Sender → receiver latency on one host: the sender writes its send time into the clientMsgId,
 * which both servers copy into the envelope, so a receiver needs nothing but its own clock.
 * Wall-clock based (timeOrigin + monotonic offset), so processes agree to well under a ms.
 */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** `<sender>-<n>-<send time, ms with 2 decimals>`: within ClientMsgId's alphabet and 64 chars. */
export function stampedClientMsgId(sender: number, n: number): string {
  return `s${sender}-${n}-${nowMs().toFixed(2)}`;
}

/** The send time a stamped clientMsgId carries, or undefined for any other id. */
export function sentAtOf(clientMsgId: string | undefined): number | undefined {
  if (clientMsgId === undefined || clientMsgId.charCodeAt(0) !== 115 /* s */) return undefined;
  const sentAt = Number(clientMsgId.slice(clientMsgId.lastIndexOf('-') + 1));
  return Number.isFinite(sentAt) ? sentAt : undefined;
}
