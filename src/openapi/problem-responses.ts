import type {
  ExampleObject,
  HeaderObject,
  MediaTypeObject,
  OpenAPIObject,
  OperationObject,
  ReferenceObject,
  ResponseObject,
} from '@nestjs/swagger';
import { ERROR_CATALOGUE, genericCodeFor, type ErrorCode } from '../common/errors/error-catalogue.js';
import { buildProblem, PROBLEM_CONTENT_TYPE } from '../common/errors/problem.js';

export const PROBLEM_SCHEMA = 'ProblemResponseDto';
const REQUEST_ID = 'X-Request-Id';
const RETRY_AFTER = 'Retry-After';
const SAMPLE_REQUEST_ID = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';

/**
 * The codes an operation answers for a status that several codes share (every other status shows its one code).
 * Keyed `METHOD path`, as in the document.
 */
const OPERATION_CODES: Record<string, Partial<Record<number, ErrorCode[]>>> = {
  'POST /api/auth/register': { 409: ['EMAIL_TAKEN'] },
  'POST /api/chat': {
    409: ['CONVERSATION_BUSY', 'CONVERSATION_CHANGED', 'IDEMPOTENCY_IN_PROGRESS'],
    429: ['RATE_LIMITED', 'TOO_MANY_ACTIVE_RUNS'],
  },
  'POST /api/chat/ui': {
    409: ['CONVERSATION_BUSY', 'CONVERSATION_CHANGED'],
    429: ['RATE_LIMITED', 'TOO_MANY_ACTIVE_RUNS'],
  },
  'POST /api/documents': { 400: ['VALIDATION_FAILED', 'MALFORMED_JSON'] },
};

export const RESPONSE_HEADERS: Record<string, HeaderObject> = {
  [REQUEST_ID]: {
    description: 'This request’s id (also `request_id` in an error body): quote it to an operator',
    schema: { type: 'string', format: 'uuid' },
  },
  [RETRY_AFTER]: {
    description: 'Seconds to wait before retrying',
    schema: { type: 'integer', minimum: 0 },
  },
};

const headerRef = (name: string): ReferenceObject => ({ $ref: `#/components/headers/${name}` });

/**
 * Every error response as the server sends it: `application/problem+json`, with an example per code the status
 * stands for (its status, code and title from the catalogue), and the headers that come with it.
 */
export function describeProblemResponses(document: OpenAPIObject): void {
  document.components = { ...document.components, headers: { ...document.components?.headers, ...RESPONSE_HEADERS } };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of operations(item)) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!response || '$ref' in response) continue;
        const code = Number(status);
        response.headers = { ...response.headers, [REQUEST_ID]: headerRef(REQUEST_ID) };
        if (code === 429 || code === 503) response.headers[RETRY_AFTER] = headerRef(RETRY_AFTER);
        if (isProblem(response)) {
          const codes = OPERATION_CODES[`${method.toUpperCase()} ${path}`]?.[code] ?? codesFor(code);
          response.content = { [PROBLEM_CONTENT_TYPE]: problemMedia(codes, path, response.description) };
        }
      }
    }
  }
}

export function operations(item: object): Array<[string, OperationObject]> {
  const methods = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'];
  return Object.entries(item).filter(([method]) => methods.includes(method)) as Array<[string, OperationObject]>;
}

function isProblem(response: ResponseObject): boolean {
  return Object.values(response.content ?? {}).some(
    (media) => (media.schema as ReferenceObject | undefined)?.$ref === `#/components/schemas/${PROBLEM_SCHEMA}`,
  );
}

/** The status's generic code, or every catalogue code with that status when none is generic for it. */
function codesFor(status: number): ErrorCode[] {
  const generic = genericCodeFor(status);
  if (ERROR_CATALOGUE[generic].status === status) return [generic];
  return (Object.keys(ERROR_CATALOGUE) as ErrorCode[]).filter((c) => ERROR_CATALOGUE[c].status === status);
}

function problemMedia(codes: ErrorCode[], path: string, description: string): MediaTypeObject {
  const schema = { $ref: `#/components/schemas/${PROBLEM_SCHEMA}` };
  const instance = path.replace(/\{[^}]+\}/g, '0b7c1f0e-5d1a-4c39-9a51-6f1f3a2b7c44');
  const example = (code: ErrorCode): ExampleObject => ({
    summary: ERROR_CATALOGUE[code].title,
    value: buildProblem({
      code,
      detail: codes.length === 1 ? description : ERROR_CATALOGUE[code].title,
      instance,
      requestId: SAMPLE_REQUEST_ID,
      ...(code === 'VALIDATION_FAILED' ? { errors: [{ field: 'email', message: 'email must be an email' }] } : {}),
    }),
  });
  return { schema, examples: Object.fromEntries(codes.map((code) => [code, example(code)])) };
}
