import { STATUS_CODES } from 'node:http';
import { ErrorCode, FieldError } from './app.error.js';

/** RFC 9457 problem details, the one body shape of every non-2xx JSON response. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  request_id: string;
  code: ErrorCode | string;
  errors?: FieldError[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const STATUS_CODE_NAMES: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE',
  429: 'RATE_LIMITED',
  500: 'INTERNAL_ERROR',
  503: 'SERVICE_UNAVAILABLE',
};

export function codeForStatus(status: number): string {
  return STATUS_CODE_NAMES[status] ?? (STATUS_CODES[status] ?? 'ERROR').toUpperCase().replace(/[^A-Z]+/g, '_');
}

export function buildProblem(args: {
  status: number;
  detail: string;
  instance: string;
  requestId: string;
  code?: string;
  errors?: FieldError[];
}): Problem {
  const code = args.code ?? codeForStatus(args.status);
  // 5xx bodies carry nothing internal: a generic sentence and the request id to quote to an operator.
  const detail = args.status >= 500 && args.status !== 503 ? 'Internal server error' : args.detail;
  const problem: Problem = {
    type: `/problems/${code.toLowerCase().replace(/_/g, '-')}`,
    title: STATUS_CODES[args.status] ?? 'Error',
    status: args.status,
    detail,
    instance: args.instance,
    request_id: args.requestId,
    code,
  };
  if (args.errors?.length) problem.errors = args.errors;
  return problem;
}
