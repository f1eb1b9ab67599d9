/** One worker as a broker's STATS_REPLY describes it. */
export interface BrokerWorkerStats {
  instance: string;
  version: string;
  capacity: number;
  inFlight: number;
  /** Requests it answered since it announced READY. */
  served: number;
  draining: boolean;
  lastSeenMsAgo: number;
}

/** One service as a broker's STATS_REPLY describes it. */
export interface BrokerServiceStats {
  workers: BrokerWorkerStats[];
  queued: number;
}

/** The JSON body of STATS_REPLY (docs/rpc-protocol.md): written by the broker, read by callers. */
export interface BrokerStats {
  brokerId: string;
  uptimeMs: number;
  services: Record<string, BrokerServiceStats>;
  clients: number;
  counters: {
    requests: number;
    replies: number;
    dispatched: number;
    redispatched: number;
    malformed: number;
    overloaded: number;
    expired: number;
    workerLost: number;
    serviceUnavailable: number;
    tooLarge: number;
  };
}
