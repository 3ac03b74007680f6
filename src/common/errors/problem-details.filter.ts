import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { instanceOf, requestIdOf } from '../http/request-context.js';
import { AppError, FieldError } from './app.error.js';
import { databaseFailure } from './database-unavailable.js';
import { buildProblem, PROBLEM_CONTENT_TYPE } from './problem.js';

interface Resolved {
  status: number;
  detail: string;
  code?: string;
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
  if (err.type === 'entity.parse.failed')
    return { status: 400, detail: 'Malformed JSON in request body', code: 'MALFORMED_JSON' };
  if (err.type === 'entity.too.large' || err.code === 'LIMIT_FILE_SIZE') {
    return { status: 413, detail: 'Request body is too large', code: 'PAYLOAD_TOO_LARGE' };
  }
  if (err.type === 'encoding.unsupported' || err.type === 'charset.unsupported') {
    return { status: 415, detail: 'Unsupported content encoding or charset' };
  }
  if (typeof status === 'number' && status >= 400 && status < 500) return { status, detail: 'Bad request' };
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
  return { status, detail };
}

export function resolveError(exception: unknown): Resolved {
  if (exception instanceof AppError) {
    return { status: exception.status, detail: exception.message, code: exception.code, errors: exception.errors };
  }
  if (exception instanceof HttpException) return fromHttpException(exception);
  const failure = databaseFailure(exception);
  if (failure === 'busy') {
    // Not an outage: the database answers, this process has more requests in flight than connections.
    return {
      status: 503,
      detail: 'The server is busy: every database connection stayed in use; retry shortly',
      code: 'SERVICE_UNAVAILABLE',
      retryAfter: 1,
      expected: true,
    };
  }
  if (failure === 'unavailable') {
    return { status: 503, detail: 'The database is unavailable; retry shortly', code: 'SERVICE_UNAVAILABLE' };
  }
  if (typeof exception === 'object' && exception !== null) {
    const resolved = fromMiddlewareError(exception as never);
    if (resolved) return resolved;
  }
  return { status: 500, detail: 'Internal server error' };
}

const logger = new Logger('Errors');

/** Writes any error as problem+json. Shared by the Nest filter and the Express error middleware. */
export function writeProblem(exception: unknown, req: Request, res: Response): void {
  const resolved = resolveError(exception);
  const requestId = requestIdOf(req);
  const retryAfter = resolved.retryAfter ?? (resolved.status === 503 ? 5 : undefined);
  if (retryAfter !== undefined && !res.headersSent) res.setHeader('Retry-After', String(retryAfter));
  if (resolved.expected) {
    logger.warn({ msg: resolved.detail, request_id: requestId, method: req.method, path: instanceOf(req) });
  } else if (resolved.status >= 500) {
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
  if (exception instanceof AppError && exception.retryAfterSeconds !== undefined) {
    res.setHeader('Retry-After', String(exception.retryAfterSeconds));
  }
  if (resolved.status === 429 && !res.getHeader('Retry-After')) {
    // @nestjs/throttler names the header after the throttler (`Retry-After-login`); clients look for the standard one.
    const named = Object.entries(res.getHeaders()).find(([h]) => h.toLowerCase().startsWith('retry-after-'));
    res.setHeader('Retry-After', String(named?.[1] ?? 60));
  }
  const problem = buildProblem({ ...resolved, instance: instanceOf(req), requestId });
  res.status(resolved.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    writeProblem(exception, http.getRequest<Request>(), http.getResponse<Response>());
  }
}
