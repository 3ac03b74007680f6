import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { instanceOf, type AppRequest } from '../http/request-context.js';

const logger = new Logger('HTTP');

/**
 * One structured line per request: method, route, status, duration, user id, request id.
 * Express middleware rather than a Nest interceptor because interceptors never see requests that a guard,
 * the body parser or the router rejected, and those are the ones worth seeing. Bodies and headers are not logged,
 * so tokens and passwords cannot leak here.
 */
export function requestLoggingMiddleware(req: Request, res: Response, next: NextFunction): void {
  const started = process.hrtime.bigint();
  res.on('close', () => {
    const r = req as AppRequest;
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const line = {
      msg: 'request',
      method: req.method,
      route: req.route?.path ? `${req.baseUrl}${req.route.path}` : instanceOf(req),
      status: res.statusCode,
      ms: Math.round(ms * 10) / 10,
      user_id: r.user?.id ?? null,
      request_id: r.id,
      aborted: !res.writableFinished,
    };
    if (res.statusCode >= 500) logger.error(line);
    else logger.log(line);
  });
  next();
}
