import type { BusKeyPair, BusTrust } from '@live-im/config';
import { BroadcastCommand } from '@live-im/broadcast';
import type { MemberKind } from '@live-im/contracts';
import { countBusAuth, KeyBoundIdVerifier, type ZapPolicy } from '@live-im/zmq-transport';
import type { InboundMessage } from './nm-inbound';

export const NM_ROUTER_ROLE = 'node_manager_router';
export const NM_PUB_ROLE = 'node_manager_pub';

/** The most member ids bound to keys; past it a new id is refused (a key cannot grow it without bound). */
const MAX_BOUND_IDS = 10_000;

/**
 * The node manager's allow-list (docs/broadcast-protocol.md "Bus security"): ZAP admits only
 * member keys; each message's key-bound routing id names its key; a key registers only as the
 * kinds listed for it, and a member id belongs to the key that first registered it, so another
 * key claiming it (re-registering, heartbeating or draining it) is refused and counted.
 */
export class MemberKeys {
  readonly routerPolicy: ZapPolicy;
  readonly pubPolicy: ZapPolicy;
  private readonly kinds = new Map<string, ReadonlySet<MemberKind>>();
  private readonly names = new Map<string, string>();
  private readonly owners = new Map<string, string>();
  private readonly ids: KeyBoundIdVerifier;

  constructor(
    readonly keyPair: BusKeyPair,
    trust: BusTrust,
    private readonly onImpostor: (memberId: string, claimedBy: string, ownedBy: string) => void,
  ) {
    for (const member of trust.members) {
      this.kinds.set(member.key, new Set(member.kinds));
      this.names.set(member.key, member.name);
    }
    const isMember = (key: string): boolean => this.kinds.has(key);
    this.routerPolicy = { role: NM_ROUTER_ROLE, admits: isMember };
    this.pubPolicy = { role: NM_PUB_ROLE, admits: isMember };
    this.ids = new KeyBoundIdVerifier(keyPair, isMember);
  }

  /** Whether the message may be acted on; a refusal is counted (and an impostor logged). */
  allows(routingId: Buffer, message: InboundMessage): boolean {
    const key = this.ids.keyOf(routingId);
    const kinds = key === undefined ? undefined : this.kinds.get(key);
    if (key === undefined || kinds === undefined) return this.refuse('unbound_routing_id');
    if (message.command === BroadcastCommand.GET_TOPOLOGY) return true;
    const memberId = message.body.id;
    if (message.command === BroadcastCommand.REGISTER && !kinds.has(message.body.kind)) {
      return this.refuse('kind_not_allowed');
    }
    const owner = this.owners.get(memberId);
    if (owner !== undefined && owner !== key) {
      this.onImpostor(memberId, this.names.get(key) ?? 'unknown', this.names.get(owner) ?? 'unknown');
      return this.refuse('impostor');
    }
    if (owner === undefined) {
      // Only a REGISTER binds an id; a heartbeat for an unknown id is answered UNKNOWN anyway.
      if (message.command === BroadcastCommand.DRAIN) return this.refuse('impostor');
      if (message.command === BroadcastCommand.REGISTER) {
        if (this.owners.size >= MAX_BOUND_IDS) return this.refuse('bindings_full');
        this.owners.set(memberId, key);
      }
    }
    return true;
  }

  private refuse(reason: 'unbound_routing_id' | 'kind_not_allowed' | 'impostor' | 'bindings_full'): false {
    countBusAuth(NM_ROUTER_ROLE, reason);
    return false;
  }
}
