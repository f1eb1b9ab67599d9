import { BusSecurityEnv, parseConfig, resolveBusSecurity, type BusSecurity } from '@live-im/config';
import { testBusEnv } from './test-bus-keys';

/** The BusSecurity of a member, for peers run inside the test process (clients, workers). */
export function testBusSecurity(member: string): BusSecurity {
  return resolveBusSecurity(parseConfig(BusSecurityEnv, testBusEnv(member)));
}
