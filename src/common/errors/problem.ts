import type { FieldError } from './app.error.js';
import { ERROR_CATALOGUE, type ErrorCode } from './error-catalogue.js';

/** RFC 9457 problem details, the one body shape of every non-2xx JSON response. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  request_id: string;
  code: ErrorCode;
  errors?: FieldError[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problemType(code: ErrorCode): string {
  return `/problems/${code.toLowerCase().replace(/_/g, '-')}`;
}

export function buildProblem(args: {
  code: ErrorCode;
  detail: string;
  instance: string;
  requestId: string;
  errors?: FieldError[];
}): Problem {
  const { status, title } = ERROR_CATALOGUE[args.code];
  // 5xx bodies carry nothing internal: a generic sentence and the request id to quote to an operator.
  const detail = status >= 500 && status !== 503 ? 'Internal server error' : args.detail;
  const problem: Problem = {
    type: problemType(args.code),
    title,
    status,
    detail,
    instance: args.instance,
    request_id: args.requestId,
    code: args.code,
  };
  if (args.errors?.length) problem.errors = args.errors;
  return problem;
}
