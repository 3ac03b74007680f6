import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ROLES } from '../../common/decorators/authenticated.decorator.js';
import type { AppRequest } from '../../common/http/request-context.js';
import type { Role } from '../entities/user.entity.js';

/** Registered globally after the JWT guard; only acts on routes declared with `@Authenticated({ roles })`. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!required?.length) return true;
    const user = context.switchToHttp().getRequest<AppRequest>().user;
    if (user && required.some((r) => user.roles.includes(r))) return true;
    throw new ForbiddenException('You do not have the role this action requires');
  }
}
