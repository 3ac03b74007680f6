import { INestApplication, Logger } from '@nestjs/common';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
/**
 * How long, once the grace period is over, the runs still going get to stop and finish their streams before the
 * remaining connections are cut (watchers of runs driven elsewhere resume on another instance).
 */
const STOP_SAVE_MS = 6000;

/**
 * SIGTERM/SIGINT: stop accepting connections; let in-flight requests and streams finish within the grace period;
 * then close the application: Nest's lifecycle hooks stop the runs still going (each saves its partial answer as
 * `cancelled` and ends its streams with `run_finished` and `[DONE]`), close the server, and close the database
 * last; exit 0. (Nest's own enableShutdownHooks() would close modules with streams still open and re-raise the
 * signal, exit 143.)
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
    const releaseKeptAlive = closeConnectionsAsTheyGoIdle(server);
    void drained.then(releaseKeptAlive);
    try {
      const finishedInTime = await Promise.race([drained.then(() => true), sleep(graceMs).then(() => false)]);
      if (!finishedInTime) logger.warn({ msg: 'grace period over: stopping what still runs' });
      const cut = setTimeout(() => server.closeAllConnections(), STOP_SAVE_MS).unref();
      await app.close();
      clearTimeout(cut);
      process.exit(0);
    } catch (err) {
      logger.error({ msg: 'shutdown failed', error: err instanceof Error ? err.stack : String(err) });
      process.exit(1);
    }
  };
  process.once('SIGTERM', (s) => void stop(s));
  process.once('SIGINT', (s) => void stop(s));
}

/** How often, while draining, connections that have finished their last response are closed. */
const IDLE_SWEEP_MS = 100;

/**
 * `server.close()` closes only the connections idle at that moment: one still answering a request would stay open
 * after its response, kept alive for HTTP_KEEP_ALIVE_TIMEOUT_MS (65 s by default), and hold the drain until the
 * grace period ends. While draining, every response says `Connection: close` and idle connections are closed as
 * they appear. Returns the function that stops the sweep.
 */
function closeConnectionsAsTheyGoIdle(server: Server): () => void {
  const markClosing = (_req: IncomingMessage, res: ServerResponse) => res.setHeader('connection', 'close');
  server.prependListener('request', markClosing);
  const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
  return () => {
    clearInterval(sweep);
    server.off('request', markClosing);
  };
}
