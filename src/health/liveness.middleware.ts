import type { NextFunction, Request, Response } from 'express';
import type { LivenessDto } from './dto/health.dto.js';

export const ALIVE: LivenessDto = { status: 'ok' };
const BODY = JSON.stringify(ALIVE);

/**
 * Answers `GET /health` right after the request id is set, ahead of the rest of the pipeline (access log, helmet's
 * dozen headers, CORS, body parsers, Nest's router, guards, interceptors, pipes). A liveness probe is polled
 * constantly and only has to prove the process answers HTTP; through the whole chain it ran at about half the
 * throughput of bare Express (see BENCHMARKS.md). It is not logged (probes would drown the access log) and carries
 * `nosniff` and `no-store`, the headers that matter for a JSON body. `HealthController.liveness` stays as the
 * documented route and answers the same body.
 */
export function livenessMiddleware(req: Request, res: Response, next: NextFunction): void {
  if ((req.method !== 'GET' && req.method !== 'HEAD') || req.path !== '/health') return next();
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(BODY));
  res.end(req.method === 'HEAD' ? undefined : BODY);
}
