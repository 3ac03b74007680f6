import { ERROR_CATALOGUE, type ErrorCode } from './error-catalogue.js';

export type { ErrorCode } from './error-catalogue.js';

export interface FieldError {
  field: string;
  message: string;
}

/**
 * A coded domain error. Features declare subclasses named for the case (`ConversationBusy`, `DocumentNotFound`) in
 * their `<feature>.errors.ts`; `ProblemDetailsFilter` turns any of them into `application/problem+json`.
 */
export class AppError extends Error {
  /** For 429/503: sent as `Retry-After`. */
  retryAfterSeconds?: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly errors?: FieldError[],
  ) {
    super(message);
    this.name = new.target.name;
  }

  get status(): number {
    return ERROR_CATALOGUE[this.code].status;
  }
}

/** Also what another user's object looks like: never 403, so existence does not leak. */
export class NotFoundError extends AppError {
  constructor(what: string) {
    super('NOT_FOUND', `${what} not found`);
  }
}

export class ValidationFailedError extends AppError {
  constructor(errors: FieldError[]) {
    super('VALIDATION_FAILED', 'The request is invalid; see errors for each field', errors);
  }
}

export class ServiceUnavailable extends AppError {
  constructor(detail: string, retryAfterSeconds = 5) {
    super('SERVICE_UNAVAILABLE', detail);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
