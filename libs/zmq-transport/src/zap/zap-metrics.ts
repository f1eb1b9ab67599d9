import { Counter, register } from 'prom-client';

const METRIC = 'bus_peer_auth_total';

/** Why a peer was refused (or `ok` when admitted). */
export type BusAuthReason =
  | 'ok'
  | 'unknown_key'
  | 'mechanism'
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

/** Counts one decision in `bus_peer_auth_total{role,outcome,reason}`. */
export function countBusAuth(role: string, reason: BusAuthReason, times = 1): void {
  counter().inc({ role, outcome: reason === 'ok' ? 'accepted' : 'refused', reason }, times);
}

/** The count of one role, outcome and reason in this process (tests and benches read it). */
export async function busAuthCount(role: string, reason: BusAuthReason): Promise<number> {
  const metric = await register.getSingleMetric(METRIC)?.get();
  return metric?.values.find((v) => v.labels.role === role && v.labels.reason === reason)?.value ?? 0;
}
