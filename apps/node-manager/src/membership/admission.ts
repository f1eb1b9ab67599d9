import type { NodeState, RegisterBody } from '@live-im/contracts';
import { isNodeKind, type Member } from './member';

/** What the manager knows when a REGISTER arrives. */
export interface AdmissionContext {
  /** The entry of the same id, dead or alive. */
  previous: Member | undefined;
  /** The REGISTER came over the previous entry's routing id (a retry, not a new socket). */
  sameSocket: boolean;
  /** The manager started recently and is rebuilding its view from re-registrations. */
  rebuilding: boolean;
}

export interface Admission {
  state: NodeState;
  /**
   * The previous entry carries on in the same state with the same endpoints: its state clock and
   * what members report about it still hold. Otherwise it starts afresh.
   */
  continues: boolean;
}

/**
 * The state a registering member starts in. A node's word is taken only where that cannot lose
 * messages: `draining` always (leaving is always safe), `active` only from a node the manager does
 * not know while it rebuilds its view after a restart, so the rebuilt topology equals the old one.
 */
export function admit(body: RegisterBody, context: AdmissionContext): Admission {
  const admission = admitNode(body, context);
  // Subscribers and publishers have no joining phase.
  if (!isNodeKind(body.kind) && admission.state === 'joining') return { ...admission, state: 'active' };
  return admission;
}

function admitNode(body: RegisterBody, { previous, sameSocket, rebuilding }: AdmissionContext): Admission {
  // Judged dead, subscribers may have dropped it; with other endpoints, their connections are moot.
  const live = previous !== undefined && previous.state !== 'dead' && sameIdentity(previous, body);
  if (body.state === 'draining')
    return { state: 'draining', continues: live && previous.state === 'draining' };
  if (live) {
    // A retry, or the same process on a new connection (it says its state): nothing changed.
    // Without a state over a new socket it is a restarted process and joins afresh.
    if (sameSocket || body.state !== undefined) return { state: previous.state, continues: true };
    return { state: 'joining', continues: false };
  }
  const trusted = previous === undefined && rebuilding && body.state === 'active';
  return { state: trusted ? 'active' : 'joining', continues: false };
}

/** Same kind, region and endpoints: subscribers' connections to it still hold. */
function sameIdentity(member: Member, body: RegisterBody): boolean {
  return (
    member.kind === body.kind &&
    member.region === body.region &&
    member.pull === (body.pull ?? null) &&
    member.pub === (body.pub ?? null)
  );
}
