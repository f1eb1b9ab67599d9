import type { BusKeyPair, BusSecurity } from '@live-im/config';
import type { Socket } from 'zeromq';
import { keyBoundRoutingId } from './key-bound-id';
import { ZapHandler, type ZapPolicy } from './zap-handler';
import { countBusAuth } from './zap-metrics';

/** The CURVE options of a client socket towards one server, with its key-bound routing id. */
export interface CurveClientOptions {
  curvePublicKey: string;
  curveSecretKey: string;
  curveServerKey: string;
  routingId: string;
}

/** The options a client socket takes to connect to a server with `serverKey`; none when off. */
export function curveClientOptions(
  security: BusSecurity | undefined,
  serverKey: string | undefined,
): CurveClientOptions | Record<string, never> {
  if (security?.mode !== 'curve' || serverKey === undefined) return {};
  return {
    curvePublicKey: security.keyPair.publicKey,
    curveSecretKey: security.keyPair.secretKey,
    curveServerKey: serverKey,
    routingId: keyBoundRoutingId(security.keyPair, serverKey),
  };
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
