import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, envSchema, FALLBACK_MODEL, loadConfig } from './load-config.js';

describe('loadConfig', () => {
  it('applies the documented defaults on an empty environment', () => {
    const warnings: string[] = [];
    const config = loadConfig({}, (m) => warnings.push(m));
    expect(config).toMatchObject({
      port: 8000,
      host: '0.0.0.0',
      database: { kind: 'pglite', dataDir: './data/pglite', sharedBuffers: '16MB', preparedStatements: true },
      defaultModel: FALLBACK_MODEL,
      corsOrigins: [],
      rateLimit: { chatPerMinute: 30 },
      toolTimeoutMs: 30000,
      logLevel: 'info',
      trustProxy: false,
      httpKeepAliveTimeoutMs: 65000,
    });
    expect(config.jwt.expiresInSeconds).toBe(3600);
    expect(config.jwt.generated).toBe(true);
    expect(config.jwt.secret.length).toBeGreaterThanOrEqual(32);
    expect(warnings).toEqual([expect.stringContaining('JWT_SECRET')]);
  });

  it('uses PostgreSQL when DATABASE_URL is set', () => {
    const secret = { JWT_SECRET: 'x'.repeat(32) };
    expect(loadConfig({ ...secret, DATABASE_URL: 'postgres://u@h:5432/db' }).database).toEqual({
      kind: 'postgres',
      url: 'postgres://u@h:5432/db',
      poolSize: 10,
      poolTimeoutMs: 5000,
      preparedStatements: true,
    });
    expect(
      loadConfig({ ...secret, DATABASE_URL: 'postgres://u@h:5432/db', DATABASE_PREPARED_STATEMENTS: 'false' }).database,
    ).toMatchObject({ kind: 'postgres', preparedStatements: false });
  });

  it.each([
    [{ PORT: 'eighty' }, /^Invalid configuration: PORT /],
    [{ PORT: '70000' }, /^Invalid configuration: PORT /],
    [{ DATABASE_URL: 'mysql://x' }, /^Invalid configuration: DATABASE_URL must be a postgres/],
    [{ JWT_EXPIRES_IN: 'forever' }, /^Invalid configuration: JWT_EXPIRES_IN must be a duration/],
    [{ JWT_SECRET: 'short' }, /^Invalid configuration: JWT_SECRET must be at least 32 characters/],
    [{ NODE_ENV: 'production' }, /^Invalid configuration: JWT_SECRET is required when NODE_ENV=production/],
    [{ LOG_LEVEL: 'loud' }, /^Invalid configuration: LOG_LEVEL /],
    [{ DATABASE_PREPARED_STATEMENTS: 'yes' }, /^Invalid configuration: DATABASE_PREPARED_STATEMENTS /],
    [{ PGLITE_SHARED_BUFFERS: '128' }, /^Invalid configuration: PGLITE_SHARED_BUFFERS must be a whole number of/],
    [{ PGLITE_SHARED_BUFFERS: '1GB' }, /^Invalid configuration: PGLITE_SHARED_BUFFERS must be a whole number of/],
    [{ PGLITE_SHARED_BUFFERS: '2048MB' }, /^Invalid configuration: PGLITE_SHARED_BUFFERS must be at most 1024MB/],
    [{ SECRET_PATTERNS: 'ok,(unclosed' }, /^Invalid configuration: SECRET_PATTERNS /],
    [{ HTTP_KEEP_ALIVE_TIMEOUT_MS: '0' }, /^Invalid configuration: HTTP_KEEP_ALIVE_TIMEOUT_MS /],
    [{ REDIS_URL: 'http://x' }, /^Invalid configuration: REDIS_URL must be a redis/],
    [
      { REDIS_URL: 'redis://127.0.0.1:6379' },
      /^Invalid configuration: JWT_SECRET is required with REDIS_URL or DATABASE_URL/,
    ],
    [
      { DATABASE_URL: 'postgres://u@h/db' },
      /^Invalid configuration: JWT_SECRET is required with REDIS_URL or DATABASE_URL/,
    ],
    [
      { HTTP_HEADERS_TIMEOUT_MS: '5000', HTTP_REQUEST_TIMEOUT_MS: '4000' },
      /^Invalid configuration: HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS/,
    ],
  ])('fails with one line naming the variable for %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
    try {
      loadConfig(env);
    } catch (err) {
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('parses lists, durations and proxy trust', () => {
    const config = loadConfig({
      CORS_ORIGINS: 'https://a.example, https://b.example ,',
      JWT_EXPIRES_IN: '15m',
      TRUST_PROXY: '1',
    });
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.jwt.expiresInSeconds).toBe(900);
    expect(config.trustProxy).toBe(1);
  });
});

describe('.env.example and README', () => {
  const read = (file: string) => readFile(join(__dirname, '../..', file), 'utf8');

  it('list every variable the configuration reads', async () => {
    const [example, readme] = await Promise.all([read('.env.example'), read('README.md')]);
    const listed = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    for (const name of Object.keys(envSchema.shape)) {
      expect({ name, inEnvExample: listed.has(name) }).toEqual({ name, inEnvExample: true });
      expect({ name, inReadme: readme.includes(`\`${name}\``) }).toEqual({ name, inReadme: true });
    }
  });
});
