import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import type { AppRequest } from '../http/request-context.js';
import { ValidationFailedError } from '../errors/app.error.js';

/**
 * A route that reads no body refuses one that has fields (e.g. `{"user_id": …}` on cancel or delete): the
 * ValidationPipe only sees declared `@Body()` parameters, and silently ignoring input invites the belief that it
 * did something.
 *
 * A guard (the last global one, so after authentication and rate limits) rather than an interceptor: one global
 * interceptor makes Nest run every handler inside an rxjs pipeline, ~17 KB of garbage per request (V8's sampling
 * heap profiler on `GET /api/documents`: 13% of all it allocated), for a check that needs none of it.
 */
@Injectable()
export class NoUnexpectedBodyGuard implements CanActivate {
  private readonly readsBody = new WeakMap<object, boolean>();

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const body = context.switchToHttp().getRequest<AppRequest>().body as unknown;
    const hasFields = typeof body === 'object' && body !== null && Object.keys(body).length > 0;
    if (hasFields && !this.declaresBody(context)) {
      throw new ValidationFailedError([{ field: 'body', message: 'this endpoint takes no request body' }]);
    }
    return true;
  }

  private declaresBody(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    let reads = this.readsBody.get(handler);
    if (reads === undefined) {
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ?? {}) as object;
      reads = Object.keys(args).some((key) => key.split(':')[0] === String(RouteParamtypes.BODY));
      this.readsBody.set(handler, reads);
    }
    return reads;
  }
}
