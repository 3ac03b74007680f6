import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IS_PUBLIC } from '../../common/decorators/public.decorator.js';
import type { AppRequest } from '../../common/http/request-context.js';
import { JwtStrategy } from '../strategies/jwt.strategy.js';

/** Registered globally: every route needs a valid bearer token unless it is marked `@Public()`. */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly strategy: JwtStrategy,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<AppRequest>();
    const user = await this.strategy.authenticate(request.headers.authorization);
    // One message for every failure: the client learns the token is unusable, not which check it failed.
    if (!user) throw new UnauthorizedException('Missing, invalid or expired bearer token');
    request.user = user;
    return true;
  }
}
