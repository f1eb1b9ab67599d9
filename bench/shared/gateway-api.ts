import { request } from 'node:http';
import { isRpcErrorBody } from '@live-im/contracts';

/** A signed-in user as /api/auth/register answers. */
export interface Session {
  token: string;
  user: { userId: string };
}

/**
 * The few calls of the gateway's HTTP API the benches need (register senders, create the room,
 * list gifts, the business push). Each call may leave from a source address of its own, so that
 * many registrations stay under the shipped per-address auth limit.
 */
export class GatewayApi {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  register(username: string, nickname: string, localAddress?: string): Promise<Session> {
    return this.call<Session>(
      'POST',
      '/api/auth/register',
      { username, password: 'bench-password', nickname },
      { localAddress },
    );
  }

  createRoom(roomId: string, ownerId: string, title: string): Promise<unknown> {
    return this.call('POST', '/api/rooms', { roomId, title, ownerId }, { withApiKey: true });
  }

  /** The business push into a room (important lane by default), as a platform's backend sends it. */
  push(roomId: string, body: Record<string, unknown>, clientMsgId: string): Promise<{ seq: number | null }> {
    return this.call(
      'POST',
      `/api/rooms/${encodeURIComponent(roomId)}/push`,
      { lane: 'important', type: 'custom', body, clientMsgId },
      { withApiKey: true },
    );
  }

  async giftIds(): Promise<string[]> {
    const answer = await this.call<Array<{ giftId: string }> | { gifts: Array<{ giftId: string }> }>(
      'GET',
      '/api/gifts',
    );
    const gifts = Array.isArray(answer) ? answer : answer.gifts;
    if (gifts.length === 0) throw new Error('the gift catalogue is empty');
    return gifts.map((gift) => gift.giftId);
  }

  private call<T>(
    method: string,
    path: string,
    body?: unknown,
    options: { withApiKey?: boolean; localAddress?: string } = {},
  ): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {};
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    if (options.withApiKey) headers['x-api-key'] = this.apiKey;
    return new Promise<T>((resolve, reject) => {
      const req = request(
        `${this.baseUrl}${path}`,
        // A connection per call: a kept-alive one the server closes between calls resets the next.
        { method, headers, localAddress: options.localAddress, agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            let answer: unknown;
            try {
              answer = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              answer = undefined;
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve(answer as T);
            const error = isRpcErrorBody(answer)
              ? `${answer.code}: ${answer.message}`
              : JSON.stringify(answer);
            reject(new Error(`${method} ${path} answered ${status} ${error}`));
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}
