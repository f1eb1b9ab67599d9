import type { BusKeyPair, BusSecurity } from '@live-im/config';
import type { Socket } from 'zeromq';
import { keyBoundRoutingId } from './key-bound-id';
import { ZapHandler, type ZapPolicy } from './zap-handler';
import { countBusAuth } from './zap-metrics';

/** The CURVE options of a client socket towards one server. */
export interface CurveClientOptions {
  curvePublicKey: string;
  curveSecretKey: string;
  curveServerKey: string;
}

/** ...and the key-bound routing id a DEALER shows a ROUTER that reads keys per message. */
export interface RoutedCurveClientOptions extends CurveClientOptions {
  routingId: string;
}

/** The options a client socket (PUSH, SUB, XSUB) takes to connect to `serverKey`; none when off. */
export function curveClientOptions(
  security: BusSecurity | undefined,
  serverKey: string | undefined,
): CurveClientOptions | Record<string, never> {
  if (security?.mode !== 'curve' || serverKey === undefined) return {};
  return {
    curvePublicKey: security.keyPair.publicKey,
    curveSecretKey: security.keyPair.secretKey,
    curveServerKey: serverKey,
  };
}

/** The options a DEALER takes to connect to a ROUTER with `serverKey`; none when off. */
export function routedCurveClientOptions(
  security: BusSecurity | undefined,
  serverKey: string | undefined,
): RoutedCurveClientOptions | Record<string, never> {
  if (security?.mode !== 'curve' || serverKey === undefined) return {};
  return {
    ...curveClientOptions(security, serverKey),
    routingId: keyBoundRoutingId(security.keyPair, serverKey),
  } as RoutedCurveClientOptions;
}

/**
 * Makes a server socket CURVE-only and admits through this process's ZAP handler only the keys
 * the policy allows; call before bind. A peer without CURVE fails the handshake and is counted as
 * `mechanism`. Returns the domain, to give back to `releaseCurveServer` when the socket closes.
 */
export async function secureCurveServer(
  socket: Socket,
  keyPair: BusKeyPair,
  policy: ZapPolicy,
): Promise<string> {
  const domain = await ZapHandler.register(policy);
  socket.curveServer = true;
  socket.curvePublicKey = keyPair.publicKey;
  socket.curveSecretKey = keyPair.secretKey;
  socket.zapDomain = domain;
  // Without a handler answering, libzmq would admit any CURVE client: refuse instead.
  socket.zapEnforceDomain = true;
  socket.events.on('handshake:error:protocol', () => countBusAuth(policy.role, 'mechanism'));
  return domain;
}

export async function releaseCurveServer(domain: string | undefined): Promise<void> {
  if (domain !== undefined) await ZapHandler.unregister(domain);
}
