import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { BusKeyPair } from '@live-im/config';
import { z85Decode } from './z85';

/**
 * A key-bound routing id: `<public key Z85>.<nonce hex>.<proof base64url>`, where the proof is
 * HMAC-SHA256 over `live-im/bus-id/v1/<nonce>` keyed with the X25519 secret shared by the peer's
 * key pair and the server's. libzmq hands a ROUTER's reader the routing id of each message but not
 * the key ZAP admitted (zeromq.js reads no message properties), so a peer names its key in its
 * routing id and proves it: only the holder of that key's secret (or the server) can compute the
 * proof. docs/rpc-protocol.md "Bus security" spells it out for foreign clients.
 */
const LABEL = 'live-im/bus-id/v1/';
const NONCE_BYTES = 8;
const KEY_CHARS = 40;
const NONCE_CHARS = NONCE_BYTES * 2;
const PROOF_CHARS = 43;
export const KEY_BOUND_ID_LENGTH = KEY_CHARS + 1 + NONCE_CHARS + 1 + PROOF_CHARS;

function privateKeyOf(pair: BusKeyPair): KeyObject {
  return createPrivateKey({
    key: {
      kty: 'OKP',
      crv: 'X25519',
      d: z85Decode(pair.secretKey).toString('base64url'),
      x: z85Decode(pair.publicKey).toString('base64url'),
    },
    format: 'jwk',
  });
}

function publicKeyOf(z85: string): KeyObject {
  return createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: z85Decode(z85).toString('base64url') },
    format: 'jwk',
  });
}

function proofOf(shared: Buffer, nonce: string): Buffer {
  return createHmac('sha256', shared)
    .update(LABEL + nonce)
    .digest();
}

/** The routing id a client sets on its socket to a server whose public key is `serverKey`. */
export function keyBoundRoutingId(own: BusKeyPair, serverKey: string): string {
  const shared = diffieHellman({ privateKey: privateKeyOf(own), publicKey: publicKeyOf(serverKey) });
  const nonce = randomBytes(NONCE_BYTES).toString('hex');
  return `${own.publicKey}.${nonce}.${proofOf(shared, nonce).toString('base64url')}`;
}

/** The most routing ids remembered; past it the oldest are verified again when next seen. */
const MAX_REMEMBERED_IDS = 65_536;

/**
 * The server side: which admitted key a routing id belongs to. Results are remembered per routing
 * id (a message costs one map lookup) and shared secrets per key, for keys the role admits only.
 */
export class KeyBoundIdVerifier {
  private readonly privateKey: KeyObject;
  private readonly secrets = new Map<string, Buffer>();
  private readonly known = new Map<string, string | null>();

  constructor(
    own: BusKeyPair,
    /** Whether the key may use this socket at all: ZAP admitted only such keys. */
    private readonly admits: (publicKey: string) => boolean,
  ) {
    this.privateKey = privateKeyOf(own);
  }

  /** The public key the routing id is proven to belong to, or undefined. */
  keyOf(routingId: Buffer): string | undefined {
    const id = routingId.toString('latin1');
    const seen = this.known.get(id);
    if (seen !== undefined) return seen ?? undefined;
    const key = this.verify(id);
    if (this.known.size >= MAX_REMEMBERED_IDS) {
      const oldest = this.known.keys().next().value;
      if (oldest !== undefined) this.known.delete(oldest);
    }
    this.known.set(id, key ?? null);
    return key;
  }

  /** Forgets a routing id whose peer went away. */
  forget(routingId: string): void {
    this.known.delete(routingId);
  }

  private verify(id: string): string | undefined {
    if (
      id.length !== KEY_BOUND_ID_LENGTH ||
      id[KEY_CHARS] !== '.' ||
      id[KEY_CHARS + 1 + NONCE_CHARS] !== '.'
    ) {
      return undefined;
    }
    const publicKey = id.slice(0, KEY_CHARS);
    if (!this.admits(publicKey)) return undefined;
    const nonce = id.slice(KEY_CHARS + 1, KEY_CHARS + 1 + NONCE_CHARS);
    const proof = Buffer.from(id.slice(KEY_CHARS + 2 + NONCE_CHARS), 'base64url');
    let shared = this.secrets.get(publicKey);
    if (shared === undefined) {
      try {
        shared = diffieHellman({ privateKey: this.privateKey, publicKey: publicKeyOf(publicKey) });
      } catch {
        return undefined;
      }
      this.secrets.set(publicKey, shared);
    }
    const expected = proofOf(shared, nonce);
    return proof.length === expected.length && timingSafeEqual(proof, expected) ? publicKey : undefined;
  }
}
