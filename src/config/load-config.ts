import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AppConfig, LLM_PROVIDER_NAMES, type LlmProviderName } from './app-config.js';
import { parseDurationSeconds } from './duration.js';
import { PGLITE_SETTINGS } from '../database/pglite/pglite-settings.js';

/** The newest Sonnet in the SDK's `Model` union (claude-sonnet-4-5 reaches end of life on 2026-11-30). */
export const FALLBACK_MODEL = 'claude-sonnet-5-5';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const MiB = 1024 * 1024;

const emptyAsUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalString = z.preprocess(emptyAsUndefined, z.string().optional());
const int = (def: number, min: number, max: number) =>
  z.preprocess(emptyAsUndefined, z.coerce.number().int().min(min).max(max).default(def));

export const envSchema = z.object({
  NODE_ENV: z.preprocess(emptyAsUndefined, z.enum(['development', 'production', 'test']).default('development')),
  PORT: int(8000, 0, 65535),
  HOST: z.preprocess(emptyAsUndefined, z.string().default('0.0.0.0')),
  TRUST_PROXY: optionalString,
  DATABASE_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
  ),
  DATABASE_POOL_SIZE: int(10, 1, 200),
  DATABASE_POOL_TIMEOUT_MS: int(5000, 100, 120000),
  DATABASE_PREPARED_STATEMENTS: z.preprocess(emptyAsUndefined, z.enum(['true', 'false']).default('true')),
  PGLITE_DIR: z.preprocess(emptyAsUndefined, z.string().default('./data/pglite')),
  PGLITE_SHARED_BUFFERS: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[1-9]\d*MB$/, 'must be a whole number of megabytes, e.g. 16MB or 128MB')
      .refine((v) => parseInt(v, 10) <= 1024, 'must be at most 1024MB (all of PGlite lives in one WebAssembly memory)')
      .default(PGLITE_SETTINGS.shared_buffers),
  ),
  REDIS_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .optional(),
  ),
  REDIS_PREFIX: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[\w.:-]{1,64}$/, 'must be 1-64 letters, digits or . _ : -')
      .default('agent-backend:'),
  ),
  JWT_SECRET: optionalString,
  JWT_EXPIRES_IN: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .default('1h')
      .refine((v) => parseDurationSeconds(v) !== undefined, 'must be a duration such as 3600, 15m, 1h or 7d'),
  ),
  JWT_ISSUER: z.preprocess(emptyAsUndefined, z.string().default('agent-backend')),
  JWT_AUDIENCE: z.preprocess(emptyAsUndefined, z.string().default('agent-backend-api')),
  SESSION_CACHE_TTL_MS: int(30000, 0, 600000),
  ANTHROPIC_API_KEY: optionalString,
  ANTHROPIC_BASE_URL: z.preprocess(emptyAsUndefined, z.url().optional()),
  DEFAULT_MODEL: z.preprocess(emptyAsUndefined, z.string().default(FALLBACK_MODEL)),
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: z.preprocess(emptyAsUndefined, z.url().optional()),
  OPENAI_MODEL: optionalString,
  DEFAULT_PROVIDER: z.preprocess(emptyAsUndefined, z.enum(LLM_PROVIDER_NAMES).optional()),
  CORS_ORIGINS: optionalString,
  RATE_LIMIT_CHAT_PER_MINUTE: int(30, 1, 100000),
  RATE_LIMIT_LOGIN_PER_MINUTE: int(10, 1, 100000),
  RATE_LIMIT_LOGIN_PER_ADDRESS_PER_MINUTE: int(30, 1, 100000),
  RATE_LIMIT_REGISTER_PER_HOUR: int(20, 1, 1000000),
  RATE_LIMIT_DEFAULT_PER_MINUTE: int(600, 1, 1000000),
  TOOL_TIMEOUT_MS: int(30000, 10, 600000),
  LOG_LEVEL: z.preprocess(emptyAsUndefined, z.enum(['silent', 'error', 'warn', 'info', 'debug']).default('info')),
  SECRET_PATTERNS: optionalString,
  SHUTDOWN_GRACE_MS: int(25000, 0, 600000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int(65000, 100, 3600000),
  HTTP_HEADERS_TIMEOUT_MS: int(20000, 100, 600000),
  HTTP_REQUEST_TIMEOUT_MS: int(600000, 1000, 3600000),
  HTTP_BODY_TIMEOUT_MS: int(10000, 0, 600000),
  HTTP_BODY_MIN_BYTES_PER_SECOND: int(1024, 1, 100000000),
  // A PostgreSQL text search configuration name (`english`, `simple`, `german`…); checked against the database at boot.
  SEARCH_LANGUAGE: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a text search configuration name such as english or simple')
      .default('english'),
  ),
  AGENTS_DIR: optionalString,
  LLM_MAX_RETRIES: int(2, 0, 10),
  LLM_TIMEOUT_MS: int(600000, 1000, 3600000),
  SSE_PING_MS: int(15000, 100, 600000),
  WS_PING_MS: int(30000, 100, 600000),
  MAX_CONCURRENT_RUNS_PER_USER: int(3, 1, 1000),
  MAX_CONCURRENT_RUNS_PER_ADDRESS: int(20, 1, 100000),
  MAX_CONCURRENT_RUNS: int(1000, 1, 1000000),
  RUN_EVENTS_TTL_S: int(86400, 1, 30 * 86400),
  RUN_EVENTS_MEMORY_MB: int(64, 1, 65536),
  RUN_HEARTBEAT_MS: int(5000, 50, 600000),
  HISTORY_MAX_TOKENS: int(100000, 1000, 10000000),
  ADMIN_EMAILS: optionalString,
  PROCESS_ROLE: z.preprocess(emptyAsUndefined, z.enum(['all', 'api', 'worker']).default('all')),
  TASK_CONCURRENCY: int(4, 1, 1000),
  TASK_MAX_ATTEMPTS: int(3, 1, 100),
  TASK_BACKOFF_MS: int(1000, 10, 3600000),
  TASK_LOCK_MS: int(30000, 500, 600000),
  PARSER_TIMEOUT_MS: int(60000, 1000, 600000),
  PARSER_WORKER_MEMORY_MB: int(512, 64, 16384),
  PARSER_MAX_PART_MB: int(64, 1, 4096),
  PARSER_MAX_EXPANDED_MB: int(256, 1, 16384),
  PARSER_MAX_PDF_PAGES: int(2000, 1, 1000000),
  PARSER_MAX_PDF_TEXT_OPERATORS: int(1000000, 100, 1000000000),
  PARSER_MAX_HTML_DEPTH: int(512, 8, 100000),
  PARSER_JOBS_PER_USER: int(1, 1, 64),
  PARSER_QUEUE_PER_USER: int(8, 0, 1000),
  DOCUMENT_MAX_PASSAGES: int(50000, 1, 10000000),
  DOCUMENT_MAX_PASSAGES_PER_USER: int(100000, 1, 1000000000),
  SEARCH_TIMEOUT_MS: int(5000, 10, 600000),
});

function parseTrustProxy(value: string | undefined): AppConfig['trustProxy'] {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value; // express accepts a comma-separated list of addresses/subnets
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Validates the environment into a typed `AppConfig`. Throws a `ConfigError` whose message is one line naming the
 * offending variable, so a misconfigured deployment fails at boot instead of on the first request.
 */
export function loadConfig(env: Record<string, string | undefined>, warn: (msg: string) => void = () => {}): AppConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`Invalid configuration: ${issue.path.join('.')} ${issue.message}`);
  }
  const e = parsed.data;

  let secret = e.JWT_SECRET;
  let generated = false;
  if (secret !== undefined && secret.length < 32) {
    throw new ConfigError('Invalid configuration: JWT_SECRET must be at least 32 characters');
  }
  if (secret === undefined) {
    if (e.NODE_ENV === 'production') {
      throw new ConfigError('Invalid configuration: JWT_SECRET is required when NODE_ENV=production (>= 32 chars)');
    }
    if (e.REDIS_URL || e.DATABASE_URL) {
      throw new ConfigError(
        'Invalid configuration: JWT_SECRET is required with REDIS_URL or DATABASE_URL (instances must accept each other’s tokens)',
      );
    }
    secret = randomBytes(48).toString('base64url');
    generated = true;
    warn('JWT_SECRET is not set: generated a random one for this process; tokens will not survive a restart');
  }

  const providers: LlmProviderName[] = [
    ...(e.ANTHROPIC_API_KEY ? (['anthropic'] as const) : []),
    ...(e.OPENAI_API_KEY || e.OPENAI_BASE_URL ? (['openai-compatible'] as const) : []),
    'offline',
  ];
  // Unnamed, the first configured: Anthropic with its key (as before providers could be chosen), else an
  // OpenAI-compatible server, else offline.
  const defaultProvider = e.DEFAULT_PROVIDER ?? providers[0];
  if (!providers.includes(defaultProvider)) {
    throw new ConfigError(
      `Invalid configuration: DEFAULT_PROVIDER is ${defaultProvider}, which is not configured ` +
        `(${defaultProvider === 'anthropic' ? 'set ANTHROPIC_API_KEY' : 'set OPENAI_BASE_URL or OPENAI_API_KEY'})`,
    );
  }

  for (const pattern of list(e.SECRET_PATTERNS)) {
    try {
      new RegExp(pattern);
    } catch {
      throw new ConfigError(
        `Invalid configuration: SECRET_PATTERNS contains an invalid regular expression: ${pattern}`,
      );
    }
  }

  if (e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError('Invalid configuration: HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS');
  }

  if (e.PROCESS_ROLE !== 'all' && !e.REDIS_URL) {
    throw new ConfigError(
      `Invalid configuration: PROCESS_ROLE=${e.PROCESS_ROLE} needs REDIS_URL (without it the task queue is one process's)`,
    );
  }

  const config = new AppConfig();
  Object.assign(config, {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    database: e.DATABASE_URL
      ? {
          kind: 'postgres',
          url: e.DATABASE_URL,
          poolSize: e.DATABASE_POOL_SIZE,
          poolTimeoutMs: e.DATABASE_POOL_TIMEOUT_MS,
          preparedStatements: e.DATABASE_PREPARED_STATEMENTS === 'true',
        }
      : {
          kind: 'pglite',
          dataDir: e.PGLITE_DIR,
          sharedBuffers: e.PGLITE_SHARED_BUFFERS,
          preparedStatements: e.DATABASE_PREPARED_STATEMENTS === 'true',
        },
    redis: e.REDIS_URL ? { url: e.REDIS_URL, prefix: e.REDIS_PREFIX } : undefined,
    jwt: {
      secret,
      generated,
      expiresInSeconds: parseDurationSeconds(e.JWT_EXPIRES_IN)!,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
    },
    sessionCacheTtlMs: e.SESSION_CACHE_TTL_MS,
    anthropic: { apiKey: e.ANTHROPIC_API_KEY, baseURL: e.ANTHROPIC_BASE_URL },
    openai: { apiKey: e.OPENAI_API_KEY, baseURL: e.OPENAI_BASE_URL, model: e.OPENAI_MODEL },
    defaultModel: e.DEFAULT_MODEL,
    corsOrigins: list(e.CORS_ORIGINS),
    rateLimit: {
      chatPerMinute: e.RATE_LIMIT_CHAT_PER_MINUTE,
      loginPerMinute: e.RATE_LIMIT_LOGIN_PER_MINUTE,
      loginPerAddressPerMinute: e.RATE_LIMIT_LOGIN_PER_ADDRESS_PER_MINUTE,
      registerPerHour: e.RATE_LIMIT_REGISTER_PER_HOUR,
      defaultPerMinute: e.RATE_LIMIT_DEFAULT_PER_MINUTE,
    },
    toolTimeoutMs: e.TOOL_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
    secretPatterns: list(e.SECRET_PATTERNS),
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    httpKeepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    httpTimeouts: {
      headersMs: e.HTTP_HEADERS_TIMEOUT_MS,
      requestMs: e.HTTP_REQUEST_TIMEOUT_MS,
      bodyWindowMs: e.HTTP_BODY_TIMEOUT_MS,
      bodyMinBytesPerSecond: e.HTTP_BODY_MIN_BYTES_PER_SECOND,
    },
    searchLanguage: e.SEARCH_LANGUAGE,
    agentsDirs: list(e.AGENTS_DIR),
    llm: { maxRetries: e.LLM_MAX_RETRIES, timeoutMs: e.LLM_TIMEOUT_MS, providers, defaultProvider },
    ssePingMs: e.SSE_PING_MS,
    wsPingMs: e.WS_PING_MS,
    runs: {
      maxPerUser: e.MAX_CONCURRENT_RUNS_PER_USER,
      maxPerAddress: e.MAX_CONCURRENT_RUNS_PER_ADDRESS,
      maxTotal: e.MAX_CONCURRENT_RUNS,
      eventsTtlSeconds: e.RUN_EVENTS_TTL_S,
      eventsMemoryBytes: e.RUN_EVENTS_MEMORY_MB * 1024 * 1024,
      heartbeatMs: e.RUN_HEARTBEAT_MS,
    },
    historyMaxTokens: e.HISTORY_MAX_TOKENS,
    adminEmails: list(e.ADMIN_EMAILS).map((email) => email.toLowerCase()),
    processRole: e.PROCESS_ROLE,
    tasks: {
      concurrency: e.TASK_CONCURRENCY,
      maxAttempts: e.TASK_MAX_ATTEMPTS,
      backoffMs: e.TASK_BACKOFF_MS,
      lockMs: e.TASK_LOCK_MS,
    },
    documents: {
      parser: {
        timeoutMs: e.PARSER_TIMEOUT_MS,
        workerMemoryMb: e.PARSER_WORKER_MEMORY_MB,
        maxPartBytes: e.PARSER_MAX_PART_MB * MiB,
        maxExpandedBytes: e.PARSER_MAX_EXPANDED_MB * MiB,
        maxPdfPages: e.PARSER_MAX_PDF_PAGES,
        maxPdfTextOperators: e.PARSER_MAX_PDF_TEXT_OPERATORS,
        maxHtmlDepth: e.PARSER_MAX_HTML_DEPTH,
        jobsPerUser: e.PARSER_JOBS_PER_USER,
        queuePerUser: e.PARSER_QUEUE_PER_USER,
      },
      maxPassagesPerDocument: e.DOCUMENT_MAX_PASSAGES,
      maxPassagesPerUser: e.DOCUMENT_MAX_PASSAGES_PER_USER,
      searchTimeoutMs: e.SEARCH_TIMEOUT_MS,
    },
  } satisfies AppConfig);
  return config;
}
