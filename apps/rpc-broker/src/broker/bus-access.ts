import type { BusKeyPair, BusTrust } from '@live-im/config';
import { countBusAuth, KeyBoundIdVerifier, type ZapPolicy } from '@live-im/zmq-transport';

export const FRONTEND_ROLE = 'rpc_frontend';
export const BACKEND_ROLE = 'rpc_backend';

/** What one caller key may call: `*`, `<service>.*` or exact patterns. */
export class CallerAccess {
  private readonly decided = new Map<string, boolean>();

  constructor(
    readonly name: string,
    private readonly rules: readonly string[],
  ) {}

  mayCall(pattern: string): boolean {
    let allowed = this.decided.get(pattern);
    if (allowed === undefined) {
      allowed = this.rules.some(
        (rule) =>
          rule === '*' || rule === pattern || (rule.endsWith('.*') && pattern.startsWith(rule.slice(0, -1))),
      );
      // Patterns are 1..255 bytes and come from admitted callers, but not only from contracts.
      if (this.decided.size < 4096) this.decided.set(pattern, allowed);
    }
    return allowed;
  }
}

export interface WorkerAccess {
  name: string;
  services: ReadonlySet<string>;
}

/**
 * The broker's allow-lists (docs/rpc-protocol.md "Bus security"): ZAP admits only caller keys on
 * the frontend and worker keys on the backend; each message's routing id names its key (a
 * key-bound routing id), and from it what that key may call or serve.
 */
export class BusAccess {
  readonly frontendPolicy: ZapPolicy;
  readonly backendPolicy: ZapPolicy;
  private readonly callers = new Map<string, CallerAccess>();
  private readonly workers = new Map<string, WorkerAccess>();
  private readonly callerIds: KeyBoundIdVerifier;
  private readonly workerIds: KeyBoundIdVerifier;

  constructor(
    readonly keyPair: BusKeyPair,
    trust: BusTrust,
  ) {
    for (const caller of trust.callers)
      this.callers.set(caller.key, new CallerAccess(caller.name, caller.patterns));
    for (const worker of trust.workers) {
      this.workers.set(worker.key, { name: worker.name, services: new Set(worker.services) });
    }
    const isCaller = (key: string): boolean => this.callers.has(key);
    const isWorker = (key: string): boolean => this.workers.has(key);
    this.frontendPolicy = { role: FRONTEND_ROLE, admits: isCaller };
    this.backendPolicy = { role: BACKEND_ROLE, admits: isWorker };
    this.callerIds = new KeyBoundIdVerifier(keyPair, isCaller);
    this.workerIds = new KeyBoundIdVerifier(keyPair, isWorker);
  }

  /** The caller a frontend message comes from; undefined (counted) when its routing id proves no key. */
  callerOf(routingId: Buffer): CallerAccess | undefined {
    const key = this.callerIds.keyOf(routingId);
    const caller = key === undefined ? undefined : this.callers.get(key);
    if (caller === undefined) countBusAuth(FRONTEND_ROLE, 'unbound_routing_id');
    return caller;
  }

  /** The worker a backend message comes from; undefined (counted) when its routing id proves no key. */
  workerOf(routingId: Buffer): WorkerAccess | undefined {
    const key = this.workerIds.keyOf(routingId);
    const worker = key === undefined ? undefined : this.workers.get(key);
    if (worker === undefined) countBusAuth(BACKEND_ROLE, 'unbound_routing_id');
    return worker;
  }
}
