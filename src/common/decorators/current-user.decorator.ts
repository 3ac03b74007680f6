import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Caller } from '../auth/caller.js';
import type { AppRequest } from '../http/request-context.js';

/** The authenticated caller, as established by the JWT guard. */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): Caller => {
  const user = ctx.switchToHttp().getRequest<AppRequest>().user;
  // The global guard runs first; reaching here without a user means a route was marked @Public by mistake.
  if (!user) throw new Error('CurrentUser used on a route without an authenticated user');
  return user;
});
