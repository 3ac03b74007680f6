import { Param, ParseUUIDPipe } from '@nestjs/common';
import { ValidationFailedError } from '../errors/app.error.js';

/**
 * A path parameter that must be a UUID: a malformed one is the same 400 `VALIDATION_FAILED` on every route, with
 * the parameter named in `errors`.
 */
export function UuidParam(name: string): ParameterDecorator {
  return Param(
    name,
    new ParseUUIDPipe({
      exceptionFactory: () => new ValidationFailedError([{ field: name, message: `${name} must be a UUID` }]),
    }),
  );
}
