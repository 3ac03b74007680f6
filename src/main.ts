import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { createApp, createLogger } from './app.setup.js';
import { ConfigError, loadConfig } from './config/load-config.js';
import { installShutdown } from './shutdown.js';
import { installWorkerShutdown, startWorker, urlOf } from './worker.setup.js';

async function bootstrap(): Promise<void> {
  // `.env` is optional; real environment variables win over it.
  if (existsSync('.env')) process.loadEnvFile('.env');
  const bootLogger = createLogger('info');
  let config;
  try {
    config = loadConfig(process.env, (msg) => bootLogger.warn(msg, 'Config'));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const started = performance.now();
  let url: string;
  if (config.processRole === 'worker') {
    const worker = await startWorker(config);
    installWorkerShutdown(worker.app, worker.server, config.shutdownGraceMs);
    url = urlOf(worker.server);
  } else {
    const app = await createApp(config);
    await app.listen(config.port, config.host);
    installShutdown(app, config.shutdownGraceMs);
    url = await app.getUrl();
  }
  const db = config.database.kind === 'pglite' ? `embedded PGlite (${config.database.dataDir})` : 'PostgreSQL';
  new Logger('Bootstrap').log({
    msg: 'listening',
    url,
    role: config.processRole,
    database: db,
    llm_providers: config.llm.providers,
    boot_ms: Math.round(performance.now() - started),
  });
}

bootstrap().catch((err: unknown) => {
  process.stderr.write(`Boot failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
