import { Inject, Injectable } from '@nestjs/common';
import { ErrorCode, RpcError, TokenClaims, UserId, UserRole } from '@live-im/contracts';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { Clock } from '@live-im/bootstrap';

export interface TokenSettings {
  /** HMAC key of HS256; at least 32 characters (checked by the config schema). */
  secret: string;
  ttlSec: number;
}

export const TOKEN_SETTINGS = Symbol('TOKEN_SETTINGS');

/** Who a token is issued to. */
export interface TokenSubject {
  userId: string;
  nickname: string;
  role: UserRole;
  level: number;
}

export interface IssuedToken {
  token: string;
  /** Epoch ms. */
  expiresAt: number;
}

/** The JWT payload on the wire: short claim names keep a token small in every handshake. */
const Payload = z.object({
  sub: UserId,
  nick: z.string(),
  role: UserRole,
  lvl: z.number().int().min(0),
  exp: z.number().int(),
});

const ALGORITHM = 'HS256';
const INVALID = 'invalid or expired token';

/** Issues and verifies session tokens (JWT, HS256). Ban checks belong to the caller: this is pure crypto. */
@Injectable()
export class TokenService {
  constructor(
    @Inject(TOKEN_SETTINGS) private readonly settings: TokenSettings,
    private readonly clock: Clock,
  ) {}

  issue(subject: TokenSubject): IssuedToken {
    const iat = Math.floor(this.clock.now() / 1000);
    const exp = iat + this.settings.ttlSec;
    const payload: z.input<typeof Payload> & { iat: number } = {
      sub: subject.userId,
      nick: subject.nickname,
      role: subject.role,
      lvl: subject.level,
      iat,
      exp,
    };
    const token = jwt.sign(payload, this.settings.secret, { algorithm: ALGORITHM });
    return { token, expiresAt: exp * 1000 };
  }

  /** The claims of a genuine, unexpired token; UNAUTHENTICATED otherwise, whatever the reason. */
  verify(token: string): TokenClaims {
    let decoded: string | jwt.JwtPayload;
    try {
      decoded = jwt.verify(token, this.settings.secret, {
        // Pinning the algorithm closes the "alg: none" and key-confusion doors.
        algorithms: [ALGORITHM],
        clockTimestamp: Math.floor(this.clock.now() / 1000),
      });
    } catch {
      throw new RpcError(ErrorCode.UNAUTHENTICATED, INVALID);
    }
    const payload = Payload.safeParse(decoded);
    if (!payload.success || !roleMatchesId(payload.data.role, payload.data.sub)) {
      throw new RpcError(ErrorCode.UNAUTHENTICATED, INVALID);
    }
    const { sub, nick, role, lvl, exp } = payload.data;
    return { userId: sub, nickname: nick, role, level: lvl, expiresAt: exp * 1000 };
  }
}

/** Guest ids start with `g_` and only guests have them; a token claiming otherwise is forged or stale. */
function roleMatchesId(role: UserRole, userId: string): boolean {
  return (role === 'guest') === userId.startsWith('g_');
}
