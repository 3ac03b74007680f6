import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

export const IS_PUBLIC = 'auth:public';
/** Marks the operation in the OpenAPI document; `src/openapi` turns it into `security: []`. */
export const PUBLIC_OPERATION_EXTENSION = 'x-public';

/**
 * Opts a route (or controller) out of the global JWT guard, and documents it as needing no credentials, so Swagger
 * and enforcement cannot disagree. Everything else requires a valid token.
 */
export const Public = () =>
  applyDecorators(SetMetadata(IS_PUBLIC, true), ApiExtension(PUBLIC_OPERATION_EXTENSION, true));
