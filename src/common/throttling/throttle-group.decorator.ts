import { SetMetadata } from '@nestjs/common';
import type { ExecutionContext } from '@nestjs/common';

const THROTTLE_GROUP = 'throttle:group';

export type ThrottleGroupName = 'login' | 'register' | 'chat';

/**
 * Puts a route under the named throttlers of a group (e.g. `login-address`, `login-account`) in addition to the
 * global default. Throttlers of a group skip every route outside it.
 */
export const ThrottleGroup = (group: ThrottleGroupName) => SetMetadata(THROTTLE_GROUP, group);

export function outsideGroup(group: ThrottleGroupName) {
  return (context: ExecutionContext): boolean =>
    (Reflect.getMetadata(THROTTLE_GROUP, context.getHandler()) ??
      Reflect.getMetadata(THROTTLE_GROUP, context.getClass())) !== group;
}
