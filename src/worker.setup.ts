import { INestApplicationContext, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import express from 'express';
import helmet from 'helmet';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { AppModule } from './app.module.js';
import { createLogger } from './app.setup.js';
import { NotFoundError } from './common/errors/app.error.js';
import { writeProblem } from './common/errors/problem-details.filter.js';
import { requestIdMiddleware } from './common/http/request-id.middleware.js';
import type { AppConfig } from './config/app-config.js';
import { RedisConnections } from './cluster/redis/redis-connections.js';
import { closeOpenedDataSources } from './database/data-source.factory.js';
import { HealthService } from './health/health.service.js';
import { livenessMiddleware } from './health/liveness.middleware.js';
import { TaskWorker } from './tasks/task-worker.js';

/**
 * `PROCESS_ROLE=worker`: the application without its HTTP API (a Nest application context: every module and its
 * lifecycle, no routes, no WebSocket gateway), running tasks and the runs they start, with a small HTTP server
 * for the probes only: `GET /health` and `GET /ready`; anything else is a 404 problem.
 */
export async function startWorker(config: AppConfig): Promise<{ app: INestApplicationContext; server: Server }> {
  let app: INestApplicationContext | undefined;
  try {
    app = await NestFactory.createApplicationContext(AppModule.forRoot(config), {
      logger: createLogger(config.logLevel),
      abortOnError: false,
    });
    await app.init();
  } catch (err) {
    // What the modules opened before the failure (queues, Redis, the database) must not keep the process alive.
    await app?.close().catch(() => undefined);
    await RedisConnections.closeOpened();
    await closeOpenedDataSources();
    throw err;
  }
  const health = app.get(HealthService);
  const probes = express();
  probes.disable('x-powered-by');
  probes.use(requestIdMiddleware);
  probes.use(livenessMiddleware);
  probes.use(helmet());
  probes.get('/ready', (_req, res, next) => {
    health
      .readiness()
      .then((report) => res.status(report.status === 'ready' ? 200 : 503).json(report))
      .catch(next);
  });
  probes.use((req, res) => writeProblem(new NotFoundError('Route'), req, res));
  const server = createServer(probes);
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  return { app, server };
}

/** The probes' URL, as `main.ts` logs it for the HTTP roles. */
export function urlOf(server: Server): string {
  const { address, port, family } = server.address() as AddressInfo;
  const host = family === 'IPv6' ? `[${address}]` : address;
  return `http://${host}:${port}`;
}

/**
 * SIGTERM/SIGINT on a worker: stop taking tasks, give those in hand SHUTDOWN_GRACE_MS to finish, then close the
 * application (attempts still going are stopped and retried elsewhere, their runs saved), and exit 0.
 */
export function installWorkerShutdown(app: INestApplicationContext, server: Server, graceMs: number): void {
  const logger = new Logger('Shutdown');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log({ msg: 'shutting down', signal, grace_ms: graceMs });
    try {
      await app.get(TaskWorker).drain(graceMs);
      server.close();
      server.closeAllConnections();
      await app.close();
      process.exit(0);
    } catch (err) {
      logger.error({ msg: 'shutdown failed', error: err instanceof Error ? err.stack : String(err) });
      process.exit(1);
    }
  };
  process.once('SIGTERM', (s) => void stop(s));
  process.once('SIGINT', (s) => void stop(s));
}
