/**
 * Every error code a client can receive in a problem+json body, with its HTTP status and title: one entry per
 * distinct case, so a client tells cases apart by `code` and never parses `detail`. Features declare their error
 * classes in `<feature>/<feature>.errors.ts` with a code from here; the exception filter maps a code to its status in
 * one place. A spec fails when a code is missing from the README or reached by no test.
 */
export const ERROR_CATALOGUE = {
  VALIDATION_FAILED: { status: 400, title: 'The request is invalid' },
  MALFORMED_JSON: { status: 400, title: 'The request body is not valid JSON' },
  UNAUTHORIZED: { status: 401, title: 'Authentication required' },
  FORBIDDEN: { status: 403, title: 'Not allowed' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  EMAIL_TAKEN: { status: 409, title: 'Email already registered' },
  CONVERSATION_BUSY: { status: 409, title: 'A run is active in this conversation' },
  CONVERSATION_CHANGED: { status: 409, title: 'The conversation changed meanwhile' },
  IDEMPOTENCY_IN_PROGRESS: { status: 409, title: 'A request with this Idempotency-Key is still running' },
  RUN_EVENTS_EXPIRED: { status: 410, title: "The run's events are no longer kept" },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  UNPROCESSABLE: { status: 422, title: 'Unprocessable content' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  TOO_MANY_ACTIVE_RUNS: { status: 429, title: 'Too many active runs' },
  INTERNAL_ERROR: { status: 500, title: 'Internal server error' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** The code for a status no specific error named (a Nest HttpException, a middleware failure). */
const GENERIC_BY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE',
  429: 'RATE_LIMITED',
  500: 'INTERNAL_ERROR',
  503: 'SERVICE_UNAVAILABLE',
};

/** A status outside the catalogue's generic ones is a server-side mistake: it answers as an internal error. */
export function genericCodeFor(status: number): ErrorCode {
  return GENERIC_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'VALIDATION_FAILED');
}
