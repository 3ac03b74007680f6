import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Role } from '../auth/caller.js';
import { ProblemResponseDto } from '../errors/problem-response.dto.js';

export const ROLES = 'auth:roles';

/**
 * Documents and enforces authentication together, so Swagger and the guards cannot disagree.
 * The global JWT guard already denies anonymous calls; `roles` adds the roles guard's check.
 */
export function Authenticated(options: { roles?: Role[] } = {}) {
  const decorators = [
    ApiBearerAuth('bearer'),
    ApiUnauthorizedResponse({ description: 'Missing, invalid or expired token', type: ProblemResponseDto }),
  ];
  if (options.roles?.length) {
    decorators.push(
      SetMetadata(ROLES, options.roles),
      ApiForbiddenResponse({ description: `Requires role: ${options.roles.join(' or ')}`, type: ProblemResponseDto }),
    );
  }
  return applyDecorators(...decorators);
}
