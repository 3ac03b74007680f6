import { Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '../../config/app-config.js';
import type { AccessTokenClaims, AuthUser } from '../auth-user.js';
import { jwtHmacKey } from '../jwt-key.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Verifies bearer tokens: HS256 only (so `alg: none` and key-confusion tricks fail), issuer and audience checked,
 * expiry enforced and required. The user comes from the token's claims, so no database read per request.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(config: AppConfig) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // passport-jwt hands this to jsonwebtoken, which takes a KeyObject; its typings only list string | Buffer.
      secretOrKey: jwtHmacKey(config.jwt.secret) as unknown as Buffer,
      algorithms: ['HS256'],
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      ignoreExpiration: false,
    });
  }

  validate(payload: Partial<AccessTokenClaims> & { exp?: unknown }): AuthUser {
    if (typeof payload.exp !== 'number') throw new UnauthorizedException('Token has no expiry');
    if (typeof payload.sub !== 'string' || !UUID.test(payload.sub))
      throw new UnauthorizedException('Token has no valid subject');
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((r) => r === 'user' || r === 'admin') : [];
    return { id: payload.sub, email: String(payload.email ?? ''), roles };
  }
}
