import { ArgumentMetadata, Injectable, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, ValidationFailedError } from '../errors/app.error.js';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Deeper JSON than any of our DTOs needs; class-transformer recurses per level and would overflow the stack. */
export const MAX_INPUT_DEPTH = 32;
// PostgreSQL cannot store NUL in text or jsonb, and jsonb rejects unpaired surrogates: refused here as a 400
// rather than failing in the database as a 500.
// eslint-disable-next-line no-control-regex -- the NUL character is exactly what is refused
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The first problem with a client-supplied value that no DTO rule can express, or undefined. */
function findUnsafeInput(value: unknown, path: string, root: string, depth = 0): FieldError | undefined {
  const field = path || root;
  if (typeof value === 'string') {
    return UNSTORABLE.test(value)
      ? { field, message: `${field} must not contain NUL characters or unpaired surrogates` }
      : undefined;
  }
  // Binary payloads (uploaded files) have no keys worth walking, and walking every byte is slow.
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return undefined;
  if (depth >= MAX_INPUT_DEPTH)
    return { field, message: `${field} is nested more than ${MAX_INPUT_DEPTH} levels deep` };
  for (const key of Object.keys(value)) {
    const here = path ? `${path}.${key}` : key;
    if (FORBIDDEN_KEYS.has(key)) return { field: here, message: `property ${here} is not allowed` };
    if (UNSTORABLE.test(key))
      return { field: here, message: 'property names must not contain NUL characters or unpaired surrogates' };
    const nested = findUnsafeInput((value as Record<string, unknown>)[key], here, root, depth + 1);
    if (nested) return nested;
  }
  return undefined;
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/**
 * The global ValidationPipe: unknown fields are rejected (not silently dropped), payloads are transformed into
 * DTO instances, and prototype-polluting keys (`__proto__`, `constructor`), input nested deeper than 32 levels and
 * strings PostgreSQL cannot store (NUL, unpaired surrogates) are refused before class-transformer sees them. Failures become one `ValidationFailedError` listing every field.
 */
@Injectable()
export class AppValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      transformOptions: { enableImplicitConversion: false },
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => new ValidationFailedError(flatten(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const fromClient = metadata.type === 'body' || metadata.type === 'query' || metadata.type === 'param';
    const bad = fromClient ? findUnsafeInput(value, metadata.data ?? '', metadata.type) : undefined;
    if (bad) throw new ValidationFailedError([bad]);
    const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
    if (metadata.type === 'body' && this.toValidate(metadata) && !isObject) {
      throw new ValidationFailedError([{ field: '', message: 'request body must be a JSON object' }]);
    }
    return super.transform(value, metadata);
  }
}
