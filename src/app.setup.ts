import {
  ConsoleLogger,
  INestApplication,
  LogLevel as NestLogLevel,
  NotFoundException,
  RequestMethod,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { Server } from 'node:http';
import { AppModule } from './app.module.js';
import { writeProblem } from './common/errors/problem-details.filter.js';
import { enforceBodyProgress } from './common/http/body-progress.js';
import { ExpressHttpAdapter } from './common/http/express-http-adapter.js';
import { requestIdMiddleware } from './common/http/request-id.middleware.js';
import { requestLoggingMiddleware } from './common/logging/request-logging.middleware.js';
import { AppConfig, LogLevel } from './config/app-config.js';
import { livenessMiddleware } from './health/liveness.middleware.js';
import { RedisConnections } from './cluster/redis/redis-connections.js';
import { closeOpenedDataSources } from './database/data-source.factory.js';
import { AuthenticatingWsAdapter } from './realtime/ws-auth.adapter.js';
import { setupPlayground } from './playground/setup-playground.js';
import { setupSwagger } from './swagger.js';

export const JSON_BODY_LIMIT = '1mb';
export const UNPREFIXED_ROUTES = ['health', 'ready'];

/** Headers browser code may read on a cross-origin response (CORS hides every other one). */
export const CORS_EXPOSED_HEADERS = [
  'X-Request-Id',
  'Retry-After',
  'Idempotent-Replayed',
  // @nestjs/throttler names the headers of every throttler but the default one after it.
  ...['', '-chat', '-login-address', '-login-account'].flatMap((suffix) =>
    ['Limit', 'Remaining', 'Reset'].map((field) => `X-RateLimit-${field}${suffix}`),
  ),
];

const HSTS = 'max-age=31536000; includeSubDomains';

const LEVELS: Record<LogLevel, NestLogLevel[]> = {
  silent: [],
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

export function createLogger(level: LogLevel): ConsoleLogger {
  return new ConsoleLogger({ json: true, logLevels: LEVELS[level], colors: false });
}

/**
 * The HTTP pipeline in the order the reference design fixes: request id and logging first (so every response,
 * even a rejected one, is traced; only liveness probes are answered before the log), security headers, CORS, body
 * limits; then Nest's global guard (JWT), roles,
 * throttler, validation pipe, controller; errors leave through one problem+json writer.
 */
export function configureApp(app: NestExpressApplication, config: AppConfig): void {
  app.disable('x-powered-by');
  if (config.trustProxy !== false) app.set('trust proxy', config.trustProxy);
  app.use(requestIdMiddleware);
  app.use(livenessMiddleware);
  app.use(requestLoggingMiddleware);
  app.use(
    helmet({
      // Over plain HTTP on any host but loopback, `upgrade-insecure-requests` makes the browser ask for every asset
      // of /docs and /playground over https, which this server does not speak: a blank page.
      contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
      // HSTS is ignored over plain HTTP, and pins a host name to https for a year: sent only when that is true.
      strictTransportSecurity: false,
    }),
  );
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.secure) res.setHeader('Strict-Transport-Security', HSTS);
    next();
  });
  app.enableCors({
    // No allow-list, no cross-origin access: the browser gets no CORS headers and blocks the response.
    origin: config.corsOrigins.length ? config.corsOrigins : false,
    credentials: false,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    maxAge: 600,
  });
  app.use(express.json({ limit: JSON_BODY_LIMIT }));
  app.use(express.urlencoded({ extended: false, limit: JSON_BODY_LIMIT }));
  // Body-parser failures happen before Nest routing; answer them in the same problem+json shape.
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    writeProblem(err, req, res);
  });
  app.setGlobalPrefix('api', { exclude: UNPREFIXED_ROUTES.map((path) => ({ path, method: RequestMethod.GET })) });
  app.useWebSocketAdapter(new AuthenticatingWsAdapter(app));
  setupSwagger(app);
  setupPlayground(app);
}

export async function createApp(
  config: AppConfig,
  extraImports: Parameters<typeof AppModule.forRoot>[1] = [],
): Promise<NestExpressApplication> {
  let app: NestExpressApplication | undefined;
  try {
    app = await NestFactory.create<NestExpressApplication>(
      AppModule.forRoot(config, extraImports),
      new ExpressHttpAdapter({
        headersTimeout: config.httpTimeouts.headersMs,
        requestTimeout: config.httpTimeouts.requestMs,
        // Node enforces both on this tick (30 s by default): a quarter of the header limit keeps the cut close to it.
        connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(config.httpTimeouts.headersMs / 4))),
      }),
      {
        logger: createLogger(config.logLevel),
        bodyParser: false,
        abortOnError: false,
      },
    );
    configureApp(app, config);
    const server = app.getHttpServer() as Server;
    server.keepAliveTimeout = config.httpKeepAliveTimeoutMs;
    enforceBodyProgress(server, config.httpTimeouts.bodyWindowMs, config.httpTimeouts.bodyMinBytesPerSecond);
    // Runs every module's init hooks now (tool discovery, agent definitions), so a bad boot fails here, cleanly.
    await app.init();
    // Nest answers unknown paths under /api itself; anything else (`/`, a typo of /docs) reached Express's HTML page.
    app.use((req: Request, res: Response) => writeProblem(new NotFoundException(`Cannot ${req.method} `), req, res));
  } catch (err) {
    // What the modules opened before the failure (queues, Redis, the database) must not keep the process alive.
    await app?.close().catch(() => undefined);
    await RedisConnections.closeOpened();
    await closeOpenedDataSources();
    throw err;
  }
  return app;
}

export type App = INestApplication;
