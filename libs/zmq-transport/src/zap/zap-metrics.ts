import { Counter, register } from 'prom-client';

const METRIC = 'bus_peer_auth_total';

/** Why a peer was refused (or `ok` when admitted). */
export type BusAuthReason =
  | 'ok'
  | 'unknown_key'
  | 'mechanism'
  | 'handshake_aborted'
  | 'bad_handshake'
  | 'bad_request'
  | 'unknown_domain'
  | 'unbound_routing_id'
  | 'pattern_not_allowed'
  | 'service_not_allowed'
  | 'kind_not_allowed'
  | 'impostor'
  | 'bindings_full';

function counter(): Counter<'role' | 'outcome' | 'reason'> {
  const existing = register.getSingleMetric(METRIC);
  if (existing !== undefined) return existing as Counter<'role' | 'outcome' | 'reason'>;
  return new Counter({
    name: METRIC,
    help:
      'Bus peers admitted or refused, per server role (rpc_frontend, rpc_backend, ...) and reason: ' +
      'ZAP decisions at the CURVE handshake, and refusals after it (a pattern or service the key may not use)',
    labelNames: ['role', 'outcome', 'reason'],
  });
}

/** One series of `bus_peer_auth_total` and its count (a broker's STATS_REPLY `busAuth`). */
export interface BusAuthCount {
  role: string;
  outcome: 'accepted' | 'refused';
  reason: BusAuthReason;
  count: number;
}

/** The same counts, readable at once (prom-client's reads are async): bounded by roles × reasons. */
const tally = new Map<string, BusAuthCount>();

/** Counts one decision in `bus_peer_auth_total{role,outcome,reason}`. */
export function countBusAuth(role: string, reason: BusAuthReason, times = 1): void {
  const outcome = reason === 'ok' ? 'accepted' : 'refused';
  counter().inc({ role, outcome, reason }, times);
  const key = `${role}|${reason}`;
  const seen = tally.get(key);
  if (seen === undefined) tally.set(key, { role, outcome, reason, count: times });
  else seen.count += times;
}

/** Every series of `bus_peer_auth_total` counted in this process so far. */
export function busAuthCounts(): BusAuthCount[] {
  return [...tally.values()].map((entry) => ({ ...entry }));
}

/** The count of one role, outcome and reason in this process (tests and benches read it). */
export async function busAuthCount(role: string, reason: BusAuthReason): Promise<number> {
  const metric = await register.getSingleMetric(METRIC)?.get();
  return metric?.values.find((v) => v.labels.role === role && v.labels.reason === reason)?.value ?? 0;
}
