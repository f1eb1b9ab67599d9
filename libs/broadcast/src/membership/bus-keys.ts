import type { BusSecurity } from '@live-im/config';
import {
  curveClientOptions,
  routedCurveClientOptions,
  type CurveClientOptions,
  type RoutedCurveClientOptions,
} from '@live-im/zmq-transport';

/** CURVE options of the DEALER to the node manager's ROUTER; none with the bus security off or absent. */
export function managerCurveOptions(
  security: BusSecurity | undefined,
): RoutedCurveClientOptions | Record<string, never> {
  return routedCurveClientOptions(security, serverKeyOf(security, 'nodeManager'));
}

/** CURVE options of the SUB to the node manager's topology; none with the bus security off or absent. */
export function topologyCurveOptions(
  security: BusSecurity | undefined,
): CurveClientOptions | Record<string, never> {
  return curveClientOptions(security, serverKeyOf(security, 'nodeManager'));
}

/** CURVE options of a socket to the broadcast nodes or relays; none with the bus security off or absent. */
export function broadcastCurveOptions(
  security: BusSecurity | undefined,
): CurveClientOptions | Record<string, never> {
  return curveClientOptions(security, serverKeyOf(security, 'broadcast'));
}

function serverKeyOf(
  security: BusSecurity | undefined,
  server: 'nodeManager' | 'broadcast',
): string | undefined {
  if (security?.mode !== 'curve') return undefined;
  const key = security.trust[server];
  // Secured but without the server's key: refuse to start rather than talk plain.
  if (key === undefined) throw new Error(`bus security: the trust list names no ${server} key`);
  return key;
}
