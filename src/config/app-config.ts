/**
 * `preparedStatements`: the hot statements run as named prepared statements (parsed and planned once per connection);
 * off for a connection pooler that cannot keep them (PgBouncer in transaction mode before 1.21).
 * `poolTimeoutMs` (PostgreSQL): how long a query waits for a pool connection (a free one or a new one) before it fails.
 * `sharedBuffers` (PGlite): PostgreSQL's `shared_buffers` for the embedded database, e.g. "16MB".
 */
export type DatabaseConfig = (
  | { kind: 'postgres'; url: string; poolSize: number; poolTimeoutMs: number }
  | { kind: 'pglite'; dataDir: string; sharedBuffers: string }
) & { preparedStatements: boolean };

export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug';

/** The model backends an agent can name (`provider` in its definition). */
export const LLM_PROVIDER_NAMES = ['anthropic', 'openai-compatible', 'offline'] as const;
export type LlmProviderName = (typeof LLM_PROVIDER_NAMES)[number];

/** The validated, typed configuration. Built once at boot by `loadConfig`; nothing else reads `process.env`. */
export class AppConfig {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  host: string;
  trustProxy: boolean | number | string;
  database: DatabaseConfig;
  /** Set: several instances share state through this Redis; unset: one process, everything in memory. */
  redis?: { url: string; prefix: string };
  jwt: {
    secret: string;
    /** True when no JWT_SECRET was given and one was generated for this process. */
    generated: boolean;
    expiresInSeconds: number;
    issuer: string;
    audience: string;
  };
  /**
   * How long an instance trusts a session it read as live before reading it again: the bound on how long a
   * revocation goes unseen on an instance that missed its notice (0: read on every request).
   */
  sessionCacheTtlMs: number;
  anthropic: { apiKey?: string; baseURL?: string };
  /**
   * Any Chat Completions server (OpenAI, vLLM, Ollama, LiteLLM…): configured when a base URL or a key is given.
   * `model`: for `openai-compatible` agents that name none.
   */
  openai: { apiKey?: string; baseURL?: string; model?: string };
  /** Model for agents of the `anthropic` and `offline` providers that name none. */
  defaultModel: string;
  corsOrigins: string[];
  rateLimit: {
    chatPerMinute: number;
    /** Login attempts per account. */
    loginPerMinute: number;
    /** Login attempts per client address (higher: many users can share an address). */
    loginPerAddressPerMinute: number;
    /** Registrations per client address. */
    registerPerHour: number;
    defaultPerMinute: number;
  };
  toolTimeoutMs: number;
  logLevel: LogLevel;
  /** Extra regular expressions whose matches are removed from model output before anyone sees it. */
  secretPatterns: string[];
  shutdownGraceMs: number;
  /**
   * How long an idle kept-alive connection stays open. Longer than the idle timeout of the proxy or client in front
   * (AWS ALB and nginx: 60 s), so that the server is never the side closing a socket the other side is reusing;
   * Node's own 5 s default turns that race into resets and 502s.
   */
  httpKeepAliveTimeoutMs: number;
  /**
   * What a client gets to send its request. `headersMs`: the request line and headers (a slowloris sending header
   * lines slowly is cut there). `requestMs`: the whole request, long enough for the largest upload (25 MiB) over a
   * slow link. `bodyWindowMs` / `bodyMinBytesPerSecond`: until the body is complete, every window must bring that
   * rate, so a body trickling in a byte at a time is cut within a window or two (0 turns that off).
   */
  httpTimeouts: { headersMs: number; requestMs: number; bodyWindowMs: number; bodyMinBytesPerSecond: number };
  /** PostgreSQL text search configuration used to index and query document chunks (SEARCH_LANGUAGE). */
  searchLanguage: string;
  /** Extra folders of agent definitions (YAML), after the built-in ones. */
  agentsDirs: string[];
  /** SDK retries apply only before the first token (HTTP errors on the initial request). */
  llm: {
    maxRetries: number;
    timeoutMs: number;
    /** The providers this process can use (`offline` always). */
    providers: LlmProviderName[];
    /** For agents that name no provider. */
    defaultProvider: LlmProviderName;
  };
  /** Interval of `: ping` comments on an idle SSE stream. */
  ssePingMs: number;
  /** Interval of WebSocket pings; a connection that misses one is dropped. */
  wsPingMs: number;
  runs: {
    /** Runs active at once (queued or running) per user, per client address, and in the whole service; 429 beyond. */
    maxPerUser: number;
    maxPerAddress: number;
    maxTotal: number;
    /** How long a finished run's events stay replayable. */
    eventsTtlSeconds: number;
    /** In one process: the most memory finished runs' event logs may hold (oldest dropped first). */
    eventsMemoryBytes: number;
    /** How often an instance renews its runs' heartbeats and sweeps runs whose instance stopped renewing. */
    heartbeatMs: number;
  };
  /** Default context budget of the history sent to the model (an agent may set its own). */
  historyMaxTokens: number;
  /** Accounts registered with these emails get the `admin` role. */
  adminEmails: string[];
  /** `api`: HTTP, tasks queued but not run; `worker`: runs tasks, serves only /health and /ready; `all`: both. */
  processRole: 'all' | 'api' | 'worker';
  tasks: {
    /** Tasks one process runs at once. */
    concurrency: number;
    /** Attempts a task gets (a retryable failure, or its worker dying, uses one); then it is `failed`. */
    maxAttempts: number;
    /** Wait before the first retry; doubled for each later one. */
    backoffMs: number;
    /** How long a worker's hold on a task lasts unrenewed: a worker that died is noticed after this (Redis). */
    lockMs: number;
  };
  documents: DocumentsConfig;
}

/** What one upload may cost, so that one user's file cannot take memory, workers or the database from others. */
export interface DocumentsConfig {
  parser: ParserConfig;
  /** Passages one document may make; more is 413. */
  maxPassagesPerDocument: number;
  /** Passages one user may have stored in all; an upload that would pass it is 413. */
  maxPassagesPerUser: number;
  /** A search statement running longer is cancelled (by PostgreSQL; PGlite cannot interrupt a query). */
  searchTimeoutMs: number;
}

export interface ParserConfig {
  timeoutMs: number;
  /** A worker's JS heap plus its memory outside the heap (ArrayBuffers: decoded streams, zip data). */
  workerMemoryMb: number;
  /** Decompressed size of one DOCX zip entry or one PDF stream. */
  maxPartBytes: number;
  /** Decompressed size of all of a document's zip entries or streams together. */
  maxExpandedBytes: number;
  maxPdfPages: number;
  /** Text-showing operators (`Tj`, `TJ`, `'`, `"`) in all of a PDF's content. */
  maxPdfTextOperators: number;
  /** Elements open inside one another in an HTML page. */
  maxHtmlDepth: number;
  /** Uploads of one user parsed at the same time (the others wait their turn). */
  jobsPerUser: number;
  /** Uploads of one user waiting for a parser; more is 429. */
  queuePerUser: number;
}
