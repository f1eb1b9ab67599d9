import {
  BusMemberKeyEnv,
  BusSecurityEnv,
  parseConfig,
  resolveBusSecurity,
  resolveMemberSecurity,
  type BusSecurity,
} from '@live-im/config';
import { testBusEnv } from './test-bus-keys';

/** The BusSecurity of a member, for peers run inside the test process (clients, workers). */
export function testBusSecurity(member: string): BusSecurity {
  return resolveBusSecurity(parseConfig(BusSecurityEnv, testBusEnv(member)));
}

/** The BusSecurity a broadcast node of this id joins the node manager with (its replica key). */
export function testNodeMemberSecurity(nodeId: string): BusSecurity {
  const env = testBusEnv('broadcast-node', nodeId);
  return resolveMemberSecurity(
    resolveBusSecurity(parseConfig(BusSecurityEnv, env)),
    parseConfig(BusMemberKeyEnv, env),
  );
}
