import { ArgumentMetadata, Injectable, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, ValidationFailedError } from '../errors/app.error.js';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function findForbiddenKey(value: unknown, path: string, depth = 0): string | undefined {
  // Binary payloads (uploaded files) have no keys worth walking, and walking every byte is slow.
  if (value === null || typeof value !== 'object' || depth > 32 || ArrayBuffer.isView(value)) return undefined;
  for (const key of Object.keys(value)) {
    const here = path ? `${path}.${key}` : key;
    if (FORBIDDEN_KEYS.has(key)) return here;
    const nested = findForbiddenKey((value as Record<string, unknown>)[key], here, depth + 1);
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
 * DTO instances, and prototype-polluting keys (`__proto__`, `constructor`) are refused before class-transformer
 * sees them. Failures become one `ValidationFailedError` listing every field.
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
    const bad = fromClient ? findForbiddenKey(value, '') : undefined;
    if (bad) throw new ValidationFailedError([{ field: bad, message: `property ${bad} is not allowed` }]);
    const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
    if (metadata.type === 'body' && this.toValidate(metadata) && !isObject) {
      throw new ValidationFailedError([{ field: '', message: 'request body must be a JSON object' }]);
    }
    return super.transform(value, metadata);
  }
}
