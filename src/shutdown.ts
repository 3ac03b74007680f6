import { INestApplication, Logger } from '@nestjs/common';
import type { Server } from 'node:http';

/**
 * SIGTERM/SIGINT: stop accepting connections, let in-flight requests finish (up to the grace period, after which
 * remaining connections are closed), then run Nest's shutdown hooks (which close the database) and exit 0.
 * Nest's own enableShutdownHooks() closes modules before the server and re-raises the signal (exit 143).
 */
export function installShutdown(app: INestApplication, graceMs: number): void {
  const logger = new Logger('Shutdown');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log({ msg: 'shutting down', signal, grace_ms: graceMs });
    const server = app.getHttpServer() as Server;
    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    await drained;
    clearTimeout(timer);
    try {
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
