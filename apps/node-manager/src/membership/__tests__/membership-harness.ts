import { BroadcastCommand } from '@live-im/broadcast';
import type { HeartbeatBody, MemberKind, NodeState, Topology } from '@live-im/contracts';
import { SILENT_STRUCTURED_LOGGER } from '@live-im/zmq-transport';
import { newCounters, type ManagerCounters } from '../manager-counters';
import { membershipTimings, type MembershipTimings } from '../manager-options';
import { Membership, type NmReply } from '../membership';
import { ManualClock } from './manual-clock';

let nextPort = 6000;

/** A Membership on a manual clock, with members addressed by id and one socket each. */
export class MembershipHarness {
  readonly clock = new ManualClock();
  readonly counters: ManagerCounters = newCounters();
  readonly published: Topology[] = [];
  readonly membership: Membership;
  private readonly sockets = new Map<string, Buffer>();

  constructor(timings: Partial<MembershipTimings> = {}, clock?: ManualClock) {
    if (clock) this.clock = clock;
    // Unless a test is about it, no rebuild window: the manager starts with an empty cluster.
    this.membership = new Membership(
      membershipTimings({ rebuildWindowMs: 0, ...timings }),
      this.counters,
      SILENT_STRUCTURED_LOGGER,
      this.clock.wallNow,
      () => this.published.push(this.membership.book.current),
    );
    this.membership.start(this.clock.now());
  }

  socketOf(id: string): Buffer {
    let socket = this.sockets.get(id);
    if (!socket) {
      socket = Buffer.from(`sock-${id}`);
      this.sockets.set(id, socket);
    }
    return socket;
  }

  /** The member's next message comes over a new connection (a reconnect or a new process). */
  newSocket(id: string): void {
    this.sockets.set(id, Buffer.from(`sock-${id}-${nextPort++}`));
  }

  register(id: string, kind: MemberKind, extra: { region?: string; state?: NodeState } = {}): NmReply | null {
    const port = nextPort++;
    const endpoints =
      kind === 'broadcast'
        ? { pull: `tcp://10.0.0.1:${port}`, pub: `tcp://10.0.0.1:${port + 1}` }
        : kind === 'relay'
          ? { pub: `tcp://10.0.0.2:${port}` }
          : {};
    nextPort += 1;
    return this.membership.register(
      this.socketOf(id),
      {
        id,
        kind,
        region: extra.region ?? 'home',
        ...endpoints,
        ...(extra.state ? { state: extra.state } : {}),
      },
      this.clock.now(),
    );
  }

  /** Re-sends a REGISTER exactly as it was, as a member does after UNKNOWN. */
  reregister(id: string, state?: NodeState): NmReply | null {
    const member = this.membership.registry.get(id);
    if (!member) throw new Error(`no member ${id}`);
    return this.membership.register(
      this.socketOf(id),
      {
        id,
        kind: member.kind,
        region: member.region,
        ...(member.pull ? { pull: member.pull } : {}),
        ...(member.pub ? { pub: member.pub } : {}),
        ...(state ? { state } : {}),
      },
      this.clock.now(),
    );
  }

  beat(id: string, body: Omit<HeartbeatBody, 'id'> = {}): NmReply {
    return this.membership.heartbeat(this.socketOf(id), { id, ...body }, this.clock.now());
  }

  drain(id: string): NmReply | null {
    return this.membership.drain(this.socketOf(id), { id }, this.clock.now());
  }

  /**
   * Lets `ms` pass one heartbeat interval at a time, sweeping on time; before each sweep the
   * members in `alive` heartbeat (with no news).
   */
  pass(ms: number, alive: readonly string[] = []): void {
    const step = this.membership.timings.heartbeatMs;
    for (let passed = 0; passed < ms; passed += step) {
      this.clock.advance(Math.min(step, ms - passed));
      for (const id of alive) this.beat(id);
      this.membership.sweep(this.clock.now());
    }
  }

  stateOf(id: string): NodeState | undefined {
    return this.membership.registry.get(id)?.state;
  }

  /** The node states as the current topology lists them. */
  listed(): Record<string, NodeState> {
    return Object.fromEntries(this.membership.book.current.nodes.map((n) => [n.id, n.state]));
  }
}

export const ACK = BroadcastCommand.HEARTBEAT_ACK;
export const UNKNOWN = BroadcastCommand.UNKNOWN;
