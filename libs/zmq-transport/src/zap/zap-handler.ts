import { Router } from 'zeromq';
import { z85Encode } from './z85';
import { countBusAuth, type BusAuthReason } from './zap-metrics';

/** Where libzmq asks for a ZAP decision (RFC 27), in the process's default context. */
export const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';

/** What one server socket admits: the role names it in metrics and logs. */
export interface ZapPolicy {
  role: string;
  /** Whether the client's public key (Z85) may connect to this socket. */
  admits(publicKey: string): boolean;
}

const CURVE_KEY_BYTES = 32;
const BIND_ATTEMPTS = 20;
const BIND_RETRY_MS = 25;

/**
 * The ZAP handler of this process: one ROUTER bound at ZAP_ENDPOINT answering every CURVE server
 * socket of the process, each registered under its own ZAP domain with its policy. It lives while
 * at least one socket is registered, so a test process that closes its servers can exit.
 */
export class ZapHandler {
  private static current: Promise<ZapHandler> | undefined;
  private static domainSeq = 0;
  private readonly policies = new Map<string, ZapPolicy>();
  private reader: Promise<void> = Promise.resolve();

  private constructor(private readonly socket: Router) {}

  /**
   * Registers a server socket's policy and returns the ZAP domain to set on that socket before it
   * binds. The handler is bound before this resolves, so no handshake can go unanswered.
   */
  static async register(policy: ZapPolicy): Promise<string> {
    ZapHandler.current ??= ZapHandler.open();
    const handler = await ZapHandler.current;
    ZapHandler.domainSeq += 1;
    const domain = `${policy.role}.${ZapHandler.domainSeq}`;
    handler.policies.set(domain, policy);
    return domain;
  }

  /** Forgets a domain; the handler closes with the last one. */
  static async unregister(domain: string): Promise<void> {
    const pending = ZapHandler.current;
    if (pending === undefined) return;
    const handler = await pending;
    handler.policies.delete(domain);
    if (handler.policies.size > 0 || ZapHandler.current !== pending) return;
    ZapHandler.current = undefined;
    handler.socket.close();
    await handler.reader;
  }

  private static async open(): Promise<ZapHandler> {
    const socket = new Router({ linger: 0 });
    // A handler closed a moment ago may still hold the inproc name while libzmq reaps it.
    for (let attempt = 1; ; attempt += 1) {
      try {
        await socket.bind(ZAP_ENDPOINT);
        break;
      } catch (error) {
        if (attempt >= BIND_ATTEMPTS) {
          socket.close();
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, BIND_RETRY_MS));
      }
    }
    const handler = new ZapHandler(socket);
    handler.reader = handler.read();
    return handler;
  }

  private async read(): Promise<void> {
    try {
      for await (const request of this.socket) {
        await this.socket.send(this.answer(request));
      }
    } catch (error) {
      if (!this.socket.closed) throw error;
    }
  }

  /**
   * RFC 27: [envelope, "", "1.0", request id, domain, address, identity, mechanism, credentials...]
   * is answered [envelope, "", "1.0", request id, status, text, user id, metadata].
   */
  private answer(request: Buffer[]): Array<Buffer | string> {
    const [envelope, delimiter, version, requestId, domain, , , mechanism, ...credentials] = request;
    const reply = (status: string, text: string, userId = ''): Array<Buffer | string> => [
      envelope ?? '',
      delimiter ?? '',
      '1.0',
      requestId ?? '',
      status,
      text,
      userId,
      '',
    ];
    if (request.length < 8 || version.toString() !== '1.0') return reply('500', 'bad ZAP request');
    const policy = this.policies.get(domain.toString());
    const role = policy?.role ?? 'unknown';
    const refuse = (reason: BusAuthReason): Array<Buffer | string> => {
      countBusAuth(role, reason);
      return reply('400', reason);
    };
    if (policy === undefined) return refuse('unknown_domain');
    if (mechanism.toString() !== 'CURVE' || credentials.length !== 1) return refuse('mechanism');
    if (credentials[0].length !== CURVE_KEY_BYTES) return refuse('bad_request');
    const publicKey = z85Encode(credentials[0]);
    if (!policy.admits(publicKey)) return refuse('unknown_key');
    countBusAuth(role, 'ok');
    return reply('200', 'OK', publicKey);
  }
}
