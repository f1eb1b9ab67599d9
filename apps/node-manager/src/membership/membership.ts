import { BroadcastCommand } from '@live-im/broadcast';
import type { HeartbeatBody, NodeState, RegisterBody } from '@live-im/contracts';
import { missingListeners } from './activation-gate';
import { admit } from './admission';
import { isNodeKind, type Member } from './member';
import { MemberRegistry } from './member-registry';
import type { DrainRequest } from './nm-inbound';
import type { ManagerCounters } from './manager-counters';
import type { ManagerLogger, MembershipTimings } from './manager-options';
import { TopologyBook } from './topology-book';

/** A reply to the member that sent the message. */
export interface NmReply {
  command: BroadcastCommand;
  body: Buffer;
}

const UNKNOWN_REPLY: NmReply = { command: BroadcastCommand.UNKNOWN, body: Buffer.from('{}') };

/** Missing listeners named in the activation-timeout warning at most. */
const LOGGED_MISSING = 20;

/**
 * The membership state machine, free of sockets and timers: every call takes the monotonic time.
 * Nodes go joining → active → draining → dead → removed; subscribers and publishers are tracked
 * and expire the same way. `onTopologyChange` runs once per new topology version.
 */
export class Membership {
  readonly registry = new MemberRegistry();
  readonly book: TopologyBook;
  private startedAt = 0;
  private lastSweep = 0;

  constructor(
    readonly timings: MembershipTimings,
    private readonly counters: ManagerCounters,
    private readonly log: ManagerLogger,
    wallClock: () => number,
    private readonly onTopologyChange: () => void = () => undefined,
  ) {
    this.book = new TopologyBook(wallClock);
  }

  /** Starts the rebuild window and the sweep schedule. */
  start(now: number): void {
    this.startedAt = now;
    this.lastSweep = now;
  }

  /** Members are still re-registering after the manager started: nobody is promoted yet. */
  isRebuilding(now: number): boolean {
    return now - this.startedAt < this.timings.rebuildWindowMs;
  }

  /**
   * Records the member; the REGISTERED reply carries the topology, except while rebuilding (null):
   * then the topology lacks every member that has not re-registered yet, and members following it
   * would drop live nodes. They keep their last topology and register again each heartbeat until
   * the window closes and the rebuilt topology is whole.
   */
  register(routingId: Buffer, body: RegisterBody, now: number): NmReply | null {
    const previous = this.registry.get(body.id);
    const sameSocket = previous !== undefined && previous.routingId.equals(routingId);
    const { state, continues } = admit(body, { previous, sameSocket, rebuilding: this.isRebuilding(now) });
    const member: Member = {
      id: body.id,
      kind: body.kind,
      region: body.region,
      pull: body.pull ?? null,
      pub: body.pub ?? null,
      routingId,
      registeredAt: sameSocket ? previous.registeredAt : now,
      state,
      stateSince: continues && previous ? previous.stateSince : now,
      lastSeen: now,
      load: previous?.load ?? null,
      subscriberLoad: previous?.subscriberLoad ?? null,
      loadAt: previous?.loadAt ?? null,
      // A new socket may be a new process: what it listens to is known from its next heartbeat.
      connected: sameSocket ? previous.connected : new Set(),
      heartbeats: sameSocket ? previous.heartbeats : 0,
    };
    this.registry.put(member);
    this.counters.registrations += 1;
    const fields = { id: member.id, kind: member.kind, region: member.region, state, claimed: body.state };
    if (!previous) this.log.info(fields, 'member registered');
    else if (!sameSocket) {
      this.counters.replacements += 1;
      this.log.warn(
        { ...fields, previousState: previous.state },
        'member registered again from a new socket',
      );
    }
    if (isNodeKind(member.kind) || (previous && isNodeKind(previous.kind))) this.book.touch();
    if (state === 'joining' && !continues) this.forgetReportsOf(member.id);
    this.promote(member, now);
    this.commit();
    if (this.isRebuilding(now)) return null;
    return { command: BroadcastCommand.REGISTERED, body: this.book.encodeReply() };
  }

  heartbeat(routingId: Buffer, body: HeartbeatBody, now: number): NmReply {
    const member = this.speaker(routingId, body.id);
    if (!member) return this.unknown();
    this.counters.heartbeats += 1;
    member.lastSeen = now;
    member.heartbeats += 1;
    if (body.load) {
      member.load = body.load;
      member.loadAt = now;
    }
    if (body.subscriberLoad) {
      member.subscriberLoad = body.subscriberLoad;
      member.loadAt = now;
    }
    if (body.connected) {
      const before = member.connected;
      member.connected = new Set(body.connected);
      if (member.kind === 'subscriber' || member.kind === 'relay')
        this.promoteNewlyListed(before, member.connected, now);
    }
    this.commit();
    return { command: BroadcastCommand.HEARTBEAT_ACK, body: Buffer.from(`{"version":${this.book.version}}`) };
  }

  /** DRAIN has no reply of its own: the member sees its new state in the topology. */
  drain(routingId: Buffer, body: DrainRequest, now: number): NmReply | null {
    const member = this.speaker(routingId, body.id);
    if (!member) return this.unknown();
    this.counters.drains += 1;
    member.lastSeen = now;
    if (member.state !== 'draining') {
      this.log.info({ id: member.id, kind: member.kind, from: member.state }, 'member draining');
      this.setState(member, 'draining', now);
    }
    this.commit();
    return null;
  }

  /** The TOPOLOGY reply; null while rebuilding, when the topology is still partial (see register). */
  topologyReply(now: number): NmReply | null {
    if (this.isRebuilding(now)) return null;
    this.counters.topologyRequests += 1;
    return { command: BroadcastCommand.TOPOLOGY, body: this.book.encodeReply() };
  }

  /**
   * Runs every heartbeat interval: removes the nodes announced dead, judges every member's
   * silence, promotes joining nodes (timeouts and the end of the rebuild window).
   */
  sweep(now: number): void {
    const sinceLast = now - this.lastSweep;
    this.lastSweep = now;
    // A sweep this late means the manager itself was blocked: heartbeats may be sitting unread
    // (timers run before socket reads), so silence says nothing until the next sweep.
    if (sinceLast > 2 * this.timings.heartbeatMs) {
      this.counters.lateSweeps += 1;
      this.log.warn(
        { lateByMs: Math.round(sinceLast - this.timings.heartbeatMs) },
        'sweep came late; judging nobody',
      );
      return;
    }
    const members = [...this.registry.values()];
    for (const member of members) {
      // Announced dead in the version committed by an earlier sweep; now it leaves.
      if (member.state === 'dead') {
        this.registry.remove(member);
        this.book.touch();
      }
    }
    for (const member of members) {
      if (member.state !== 'dead' && now - member.lastSeen > this.timings.deadAfterMs) this.bury(member, now);
    }
    for (const node of this.registry.joiningNodes()) this.promote(node, now);
    this.commit();
  }

  /** The member a heartbeat or drain speaks for, if it is alive and the message came over its socket. */
  private speaker(routingId: Buffer, id: string): Member | undefined {
    const member = this.registry.get(id);
    if (!member || member.state === 'dead' || !member.routingId.equals(routingId)) return undefined;
    return member;
  }

  private unknown(): NmReply {
    this.counters.unknownReplies += 1;
    return UNKNOWN_REPLY;
  }

  private bury(member: Member, now: number): void {
    this.counters.deaths += 1;
    this.log.warn(
      { id: member.id, kind: member.kind, state: member.state, silentMs: Math.round(now - member.lastSeen) },
      'member silent too long; dead',
    );
    // Nodes stay listed as dead for one version so members drop them knowingly.
    if (isNodeKind(member.kind)) this.setState(member, 'dead', now);
    else this.registry.remove(member);
  }

  /**
   * A node (re)starts joining: reports made before now describe connections to an earlier
   * incarnation, possibly at other endpoints; only reports made from now on count.
   */
  private forgetReportsOf(nodeId: string): void {
    for (const member of this.registry.values()) {
      if (member.connected.has(nodeId)) member.connected.delete(nodeId);
    }
  }

  /** A subscriber or relay now lists joining nodes it did not list before: they may be complete. */
  private promoteNewlyListed(before: ReadonlySet<string>, listed: ReadonlySet<string>, now: number): void {
    for (const node of this.registry.joiningNodes()) {
      if (listed.has(node.id) && !before.has(node.id)) this.promote(node, now);
    }
  }

  private promote(node: Member, now: number): void {
    if (node.state !== 'joining' || !isNodeKind(node.kind) || this.isRebuilding(now)) return;
    const missing = missingListeners(node, this.registry);
    if (missing.length === 0) {
      this.counters.activatedConnected += 1;
      this.log.info(
        { id: node.id, kind: node.kind, joiningMs: Math.round(now - node.stateSince) },
        'node active',
      );
    } else if (now - node.stateSince >= this.timings.activateTimeoutMs) {
      this.counters.activatedTimeout += 1;
      this.log.warn(
        {
          id: node.id,
          kind: node.kind,
          missing: missing.slice(0, LOGGED_MISSING),
          missingCount: missing.length,
        },
        'node active by timeout; some members never reported it connected',
      );
    } else {
      return;
    }
    this.setState(node, 'active', now);
  }

  private setState(member: Member, state: NodeState, now: number): void {
    member.state = state;
    member.stateSince = now;
    if (isNodeKind(member.kind)) this.book.touch();
  }

  private commit(): void {
    if (!this.book.commit(this.registry.nodes())) return;
    const { version, nodes } = this.book.current;
    this.log.info({ version, nodes: nodes.map((n) => `${n.id}:${n.state}`) }, 'topology changed');
    this.onTopologyChange();
  }
}
