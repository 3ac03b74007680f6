import type { DynamicModule, Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';

import { createApp } from '../../src/app.setup.js';
import type { AppConfig } from '../../src/config/app-config.js';
import { loadConfig } from '../../src/config/load-config.js';
import { TEST_REDIS_URL, testRedisPrefix } from './redis.js';
import { provisionDatabase, type TestDatabase } from './test-database.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  db: TestDatabase;
  /** Base URL of the listening server, e.g. http://127.0.0.1:41234 */
  url: string;
  /** supertest bound to the listening server: real HTTP over loopback. */
  http: ReturnType<typeof request>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  imports?: Array<Type | DynamicModule>;
  /** Reuse a database across app restarts (e.g. persistence tests). */
  db?: TestDatabase;
}

/** Boots the real application (same pipeline as `npm start`) on a random loopback port. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.db ?? (await provisionDatabase());
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    JWT_SECRET: TEST_JWT_SECRET,
    ANTHROPIC_API_KEY: '',
    ...db.env,
    // Against PostgreSQL with a test Redis, the app runs as one of a scaled-out deployment would (REDIS_URL).
    ...(db.kind === 'postgres' && TEST_REDIS_URL ? { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: testRedisPrefix() } : {}),
    ...options.env,
  });
  let app: NestExpressApplication;
  try {
    app = await createApp(config, options.imports);
    await app.listen(0, '127.0.0.1');
  } catch (err) {
    if (!options.db) await db.drop();
    throw err;
  }
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    app,
    config,
    db,
    url,
    http: request(url),
    async close() {
      await app.close();
      if (!options.db) await db.drop();
    },
  };
}
