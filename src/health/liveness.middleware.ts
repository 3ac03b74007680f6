import { Injectable, NestMiddleware } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { LivenessDto } from './dto/health.dto.js';

export const ALIVE: LivenessDto = { status: 'ok' };
const BODY = JSON.stringify(ALIVE);

/**
 * Answers `GET /health` as soon as the app-wide middleware (request id, logging, security headers, CORS) has run,
 * without the guard/interceptor/pipe chain: a liveness probe is polled constantly and must cost what the HTTP
 * layer costs, not a routed request (measured: about half the throughput of bare Express through the full chain,
 * see BENCHMARKS.md). `HealthController.liveness` stays as the documented route and answers the same body.
 */
@Injectable()
export class LivenessMiddleware implements NestMiddleware {
  use(_req: Request, res: Response): void {
    res.status(200).type('application/json').send(BODY);
  }
}
