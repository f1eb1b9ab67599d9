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
 * the policy allows; call before bind. A peer that fails the handshake before ZAP is asked is
 * counted too (see countFailedHandshakes). Returns the domain, to give back to
 * `releaseCurveServer` when the socket closes.
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
  countFailedHandshakes(socket, policy.role);
  return domain;
}

/** The code libzmq gives a greeting that names another mechanism (ZMTP RFC 23). */
const MECHANISM_MISMATCH = 'ERR_ZMTP_MECHANISM_MISMATCH';

/**
 * Counts the connections that fail before ZAP decides (ZAP counts its own refusals):
 * - `mechanism`: the peer's greeting named another mechanism (NULL: a plain peer);
 * - `bad_handshake`: any other protocol error (a CURVE client with the wrong server key, a
 *   malformed command);
 * - `handshake_aborted`: the peer hung up or stalled mid-handshake. A plain libzmq peer often ends
 *   here rather than in `mechanism`: ZMTP greetings go in lock-step, and when the server's version
 *   byte and mechanism reach the peer in one read, the peer sees the mismatch and closes before it
 *   ever sends its own mechanism, so the server only sees the connection end (libzmq reports that
 *   as handshake:error:other). Which of the two a plain peer gets is a race of the two hosts'
 *   timing; each failed connection is counted exactly once, under one of them.
 */
function countFailedHandshakes(socket: Socket, role: string): void {
  socket.events.on('handshake:error:protocol', (event) => {
    countBusAuth(role, event.error.code === MECHANISM_MISMATCH ? 'mechanism' : 'bad_handshake');
  });
  socket.events.on('handshake:error:other', () => countBusAuth(role, 'handshake_aborted'));
}

export async function releaseCurveServer(domain: string | undefined): Promise<void> {
  if (domain !== undefined) await ZapHandler.unregister(domain);
}
