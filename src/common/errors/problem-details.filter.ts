import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { instanceOf, requestIdOf } from '../http/request-context.js';
import { AppError, FieldError } from './app.error.js';
import { databaseFailure } from './database-unavailable.js';
import { isRedisUnavailable } from './redis-unavailable.js';
import { ERROR_CATALOGUE, genericCodeFor, type ErrorCode } from './error-catalogue.js';
import { multipartProblem } from './multipart-error.js';
import { buildProblem, PROBLEM_CONTENT_TYPE } from './problem.js';

interface Resolved {
  code: ErrorCode;
  detail: string;
  errors?: FieldError[];
  /** Sent as `Retry-After` (seconds). */
  retryAfter?: number;
  /** An expected condition (overload), logged as a warning without a stack. */
  expected?: boolean;
}

/** Errors raised by Express middleware (body-parser, multer) carry a status and a `type`/`code`. */
function fromMiddlewareError(err: {
  status?: number;
  statusCode?: number;
  type?: string;
  code?: string;
}): Resolved | undefined {
  const status = err.status ?? err.statusCode;
  if (err.type === 'entity.parse.failed') return { code: 'MALFORMED_JSON', detail: 'Malformed JSON in request body' };
  if (err.type === 'entity.too.large' || err.code === 'LIMIT_FILE_SIZE') {
    return { code: 'PAYLOAD_TOO_LARGE', detail: 'Request body is too large' };
  }
  if (err.type === 'encoding.unsupported' || err.type === 'charset.unsupported') {
    return { code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'Unsupported content encoding or charset' };
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { code: genericCodeFor(status), detail: 'The request could not be read' };
  }
  return undefined;
}

function fromHttpException(exception: HttpException): Resolved {
  const status = exception.getStatus();
  const body = exception.getResponse();
  let detail = exception.message;
  if (typeof body === 'object' && body !== null && 'message' in body) {
    const message = (body as { message: unknown }).message;
    detail = Array.isArray(message) ? message.join('; ') : String(message);
  }
  if (status === HttpStatus.TOO_MANY_REQUESTS) detail = 'Too many requests; retry after the time in Retry-After';
  if (status === HttpStatus.NOT_FOUND && /^Cannot [A-Z]+ /.test(detail))
    detail = 'No route matches this method and path';
  return { code: genericCodeFor(status), detail };
}

export function resolveError(exception: unknown): Resolved {
  if (exception instanceof AppError) {
    return {
      code: exception.code,
      detail: exception.message,
      errors: exception.errors,
      retryAfter: exception.retryAfterSeconds,
    };
  }
  // The multipart parser's messages are its own words ("Multipart: Boundary not found"): answered in ours.
  const multipart = multipartProblem(exception);
  if (multipart) return multipart;
  if (exception instanceof HttpException) return fromHttpException(exception);
  const failure = databaseFailure(exception);
  if (failure === 'busy') {
    // Not an outage: the database answers, this process has more requests in flight than connections.
    return {
      code: 'SERVICE_UNAVAILABLE',
      detail: 'The server is busy: every database connection stayed in use; retry shortly',
      retryAfter: 1,
      expected: true,
    };
  }
  if (failure === 'unavailable') {
    return { code: 'SERVICE_UNAVAILABLE', detail: 'The database is unavailable; retry shortly' };
  }
  if (isRedisUnavailable(exception)) {
    return { code: 'SERVICE_UNAVAILABLE', detail: 'Redis is unavailable; retry shortly' };
  }
  if (typeof exception === 'object' && exception !== null) {
    const resolved = fromMiddlewareError(exception as never);
    if (resolved) return resolved;
  }
  return { code: 'INTERNAL_ERROR', detail: 'Internal server error' };
}

const logger = new Logger('Errors');

/** Writes any error as problem+json. Shared by the Nest filter and the Express error middleware. */
export function writeProblem(exception: unknown, req: Request, res: Response): void {
  const resolved = resolveError(exception);
  const { status } = ERROR_CATALOGUE[resolved.code];
  const requestId = requestIdOf(req);
  if (resolved.expected) {
    logger.warn({ msg: resolved.detail, request_id: requestId, method: req.method, path: instanceOf(req) });
  } else if (status >= 500) {
    logger.error({
      msg: 'unhandled error',
      request_id: requestId,
      method: req.method,
      path: instanceOf(req),
      error: exception instanceof Error ? exception.stack : String(exception),
    });
  }
  if (res.headersSent) {
    // A stream already started (SSE): the error was reported in-band; all we can do is end it.
    res.end();
    return;
  }
  const retryAfter =
    resolved.retryAfter ?? (status === 503 ? 5 : status === 429 ? throttlerRetryAfter(res) : undefined);
  if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
  const problem = buildProblem({ ...resolved, instance: instanceOf(req), requestId });
  res.status(status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

/** @nestjs/throttler names the header after the throttler (`Retry-After-login`); clients look for the standard one. */
function throttlerRetryAfter(res: Response): number {
  const named = Object.entries(res.getHeaders()).find(([h]) => h.toLowerCase().startsWith('retry-after-'));
  return Number(named?.[1] ?? res.getHeader('Retry-After') ?? 60);
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    writeProblem(exception, http.getRequest<Request>(), http.getResponse<Response>());
  }
}
