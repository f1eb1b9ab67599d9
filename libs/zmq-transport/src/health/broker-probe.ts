import { Provider } from '@nestjs/common';

/** Anything that can PING its brokers: an RpcClient, a ZmqClient, a ZmqServer. */
export interface BrokerProbe {
  ping(timeoutMs: number): Promise<{ live: number; total: number }>;
}

/** Injection token of the BrokerProbe that ZmqHealthIndicator pings. */
export const BROKER_PROBE = Symbol('BROKER_PROBE');

/** Binds ZmqHealthIndicator to a probe built outside Nest (a worker's ZmqServer, typically). */
export function provideBrokerProbe(probe: BrokerProbe): Provider {
  return { provide: BROKER_PROBE, useValue: probe };
}
