import { ErrorCode, RpcError } from '@live-im/contracts';
import jwt from 'jsonwebtoken';
import { MovableClock } from '@live-im/testing';
import { TokenService } from './token.service';

const SECRET = 'token-service-spec-secret-0123456789abcdef';
const alice = { userId: 'u_alice123', nickname: 'Alice', role: 'user' as const, level: 3 };

function rejection(run: () => unknown): RpcError {
  try {
    run();
  } catch (error) {
    if (error instanceof RpcError) return error;
    throw error;
  }
  throw new Error('expected an RpcError');
}

describe('TokenService', () => {
  const clock = new MovableClock();
  const tokens = new TokenService({ secret: SECRET, ttlSec: 3600 }, clock);

  it('issues a token whose claims verify back', () => {
    const issued = tokens.issue(alice);
    const claims = tokens.verify(issued.token);
    expect(claims).toEqual({ ...alice, expiresAt: issued.expiresAt });
    expect(issued.expiresAt).toBeGreaterThan(clock.now() + 3599_000);
    expect(jwt.decode(issued.token)).toMatchObject({
      sub: 'u_alice123',
      nick: 'Alice',
      role: 'user',
      lvl: 3,
    });
  });

  it('rejects a token signed with another key', () => {
    const other = new TokenService(
      { secret: 'another-secret-of-at-least-32-characters', ttlSec: 3600 },
      clock,
    );
    const error = rejection(() => tokens.verify(other.issue(alice).token));
    expect(error.code).toBe(ErrorCode.UNAUTHENTICATED);
  });

  it('rejects an expired token', () => {
    const clockOfIssue = new MovableClock();
    const issuer = new TokenService({ secret: SECRET, ttlSec: 60 }, clockOfIssue);
    const { token } = issuer.issue(alice);
    clockOfIssue.advance(61_000);
    expect(rejection(() => issuer.verify(token)).code).toBe(ErrorCode.UNAUTHENTICATED);
  });

  it('rejects malformed tokens, unsigned tokens and foreign claims', () => {
    const unsigned = jwt.sign({ sub: 'u_alice123', nick: 'A', role: 'admin', lvl: 0 }, '', {
      algorithm: 'none',
    });
    const wrongShape = jwt.sign({ sub: 'not-an-id', nick: 'A', role: 'user', lvl: 0 }, SECRET, {
      expiresIn: 60,
    });
    const guestPosingAsUser = jwt.sign({ sub: 'u_alice123', nick: 'A', role: 'guest', lvl: 0 }, SECRET, {
      expiresIn: 60,
    });
    const noExpiry = jwt.sign({ sub: 'u_alice123', nick: 'A', role: 'user', lvl: 0 }, SECRET);
    for (const token of ['garbage', 'a.b.c', unsigned, wrongShape, guestPosingAsUser, noExpiry]) {
      expect(rejection(() => tokens.verify(token)).code).toBe(ErrorCode.UNAUTHENTICATED);
    }
  });
});
