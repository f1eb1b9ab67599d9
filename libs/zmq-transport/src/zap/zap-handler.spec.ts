import type { BusKeyPair } from '@live-im/config';
import { waitFor } from '@live-im/testing';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { connect, type Socket as TcpSocket } from 'node:net';
import { curveKeyPair, Dealer, Router } from 'zeromq';
import { releaseCurveServer, routedCurveClientOptions, secureCurveServer } from './curve-sockets';
import { KeyBoundIdVerifier } from './key-bound-id';
import { z85Decode, z85Encode } from './z85';
import { busAuthCount } from './zap-metrics';

const ROLE = 'zap_spec';

/** A plain (NULL) peer is counted as one of these two, whichever its timing makes it. */
async function plainRefusals(): Promise<number> {
  return (await busAuthCount(ROLE, 'mechanism')) + (await busAuthCount(ROLE, 'handshake_aborted'));
}

/** ZMTP 3.1's greeting (RFC 23/37): signature, then version, then mechanism NULL, as-server 0, filler. */
const SIGNATURE = Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f]);
function nullGreetingRest(): Buffer {
  const rest = Buffer.alloc(54);
  rest[0] = 3;
  rest[1] = 1;
  rest.write('NULL', 2, 'ascii');
  return rest;
}

/** A raw TCP peer; `heard` resolves once it has read `bytes` bytes of the server's greeting (or closed). */
function rawPeer(endpoint: string, bytes: number): { socket: TcpSocket; heard: Promise<void> } {
  const [, host, port] = /^tcp:\/\/(.+):(\d+)$/.exec(endpoint) ?? [];
  const socket = connect({ host, port: Number(port) });
  let read = 0;
  // The server closes the connection once it refuses it: that ends the wait too.
  socket.on('error', () => undefined);
  const heard = new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      read += chunk.length;
      if (read >= bytes) resolve();
    });
    socket.on('close', () => resolve());
  });
  return { socket, heard };
}

function curveClient(own: BusKeyPair, serverKey: string): Dealer {
  return new Dealer({
    linger: 0,
    ...routedCurveClientOptions(
      {
        mode: 'curve',
        keyPair: own,
        trust: {
          rpcBroker: serverKey,
          workers: [],
          callers: [],
          publishers: [],
          subscribers: [],
          members: [],
        },
      },
      serverKey,
    ),
  });
}

describe('CURVE server sockets with the ZAP handler', () => {
  const server = curveKeyPair();
  const allowed = curveKeyPair();
  const stranger = curveKeyPair();
  let router: Router;
  let domain: string | undefined;
  let endpoint: string;
  const clients: Dealer[] = [];

  beforeEach(async () => {
    router = new Router({ linger: 0 });
    domain = await secureCurveServer(router, server, {
      role: ROLE,
      admits: (key) => key === allowed.publicKey,
    });
    await router.bind('tcp://127.0.0.1:0');
    endpoint = router.lastEndpoint ?? '';
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    router.close();
    await releaseCurveServer(domain);
  });

  it('writes keys in Z85 as zeromq does (X25519 public key of the secret)', () => {
    const pair = curveKeyPair();
    expect(z85Encode(z85Decode(pair.publicKey))).toBe(pair.publicKey);
    const privateKey = createPrivateKey({
      key: {
        kty: 'OKP',
        crv: 'X25519',
        d: z85Decode(pair.secretKey).toString('base64url'),
        x: z85Decode(pair.publicKey).toString('base64url'),
      },
      format: 'jwk',
    });
    const derived = createPublicKey(privateKey).export({ format: 'jwk' }).x ?? '';
    expect(z85Encode(Buffer.from(derived, 'base64url'))).toBe(pair.publicKey);
  });

  it('admits a listed key, whose routing id proves that key to the server', async () => {
    const client = curveClient(allowed, server.publicKey);
    clients.push(client);
    client.connect(endpoint);
    await client.send('hello');
    const [routingId, body] = await router.receive();
    expect(body.toString()).toBe('hello');
    const verifier = new KeyBoundIdVerifier(server, (key) => key === allowed.publicKey);
    expect(verifier.keyOf(routingId)).toBe(allowed.publicKey);
    expect(await busAuthCount(ROLE, 'ok')).toBeGreaterThan(0);
  });

  it('refuses an unlisted key at the handshake and counts it', async () => {
    const before = await busAuthCount(ROLE, 'unknown_key');
    const client = curveClient(stranger, server.publicKey);
    clients.push(client);
    const refused = new Promise((resolve) => client.events.on('handshake:error:auth', resolve));
    client.connect(endpoint);
    await refused;
    await waitFor(async () => (await busAuthCount(ROLE, 'unknown_key')) > before, {
      what: 'refusal counted',
    });
  });

  it('refuses a peer without CURVE and counts it (as mechanism or handshake_aborted)', async () => {
    const before = await plainRefusals();
    const client = new Dealer({ linger: 0 });
    clients.push(client);
    client.connect(endpoint);
    void client.send('hello');
    await waitFor(async () => (await plainRefusals()) > before, { what: 'the plain peer counted' });
  });

  // Why a plain libzmq peer is not always `mechanism`: the two ends exchange their greetings in
  // lock-step, and whether the server ever reads the peer's mechanism depends on who reads first.
  it('counts a plain peer whose whole greeting arrives as mechanism', async () => {
    const before = await busAuthCount(ROLE, 'mechanism');
    const { socket } = rawPeer(endpoint, 64);
    try {
      socket.write(Buffer.concat([SIGNATURE, nullGreetingRest()]));
      await waitFor(async () => (await busAuthCount(ROLE, 'mechanism')) > before, {
        what: 'the NULL greeting counted as mechanism',
      });
    } finally {
      socket.destroy();
    }
  });

  it('counts a plain peer that hangs up before sending its mechanism as handshake_aborted', async () => {
    const [mechanismBefore, abortedBefore] = [
      await busAuthCount(ROLE, 'mechanism'),
      await busAuthCount(ROLE, 'handshake_aborted'),
    ];
    // What libzmq's NULL client does when the server's version and mechanism reach it in one read:
    // it has sent its signature and major version only, sees CURVE, and closes.
    const { socket, heard } = rawPeer(endpoint, 64);
    socket.write(Buffer.concat([SIGNATURE, Buffer.from([3])]));
    await heard;
    socket.destroy();
    await waitFor(async () => (await busAuthCount(ROLE, 'handshake_aborted')) > abortedBefore, {
      what: 'the aborted handshake counted',
    });
    expect(await busAuthCount(ROLE, 'mechanism')).toBe(mechanismBefore);
  });

  it('does not bind a routing id to a key its sender cannot prove', async () => {
    // An admitted peer that names another key in its routing id: the proof is its own, so it fails.
    const forged = routedCurveClientOptions(
      {
        mode: 'curve',
        keyPair: allowed,
        trust: {
          rpcBroker: server.publicKey,
          workers: [],
          callers: [],
          publishers: [],
          subscribers: [],
          members: [],
        },
      },
      server.publicKey,
    );
    const claim = `${stranger.publicKey}${forged.routingId?.slice(40) ?? ''}`;
    const verifier = new KeyBoundIdVerifier(server, () => true);
    expect(verifier.keyOf(Buffer.from(claim, 'latin1'))).toBeUndefined();
    expect(verifier.keyOf(Buffer.from(forged.routingId ?? '', 'latin1'))).toBe(allowed.publicKey);
    expect(verifier.keyOf(Buffer.from('short', 'latin1'))).toBeUndefined();
  });
});
