/**
 * `preparedStatements`: the hot statements run as named prepared statements (parsed and planned once per connection);
 * off for a connection pooler that cannot keep them (PgBouncer in transaction mode before 1.21).
 */
export type DatabaseConfig = (
  | /** `poolTimeoutMs`: how long a query waits for a pool connection (a free one or a new one) before it fails. */
    { kind: 'postgres'; url: string; poolSize: number; poolTimeoutMs: number }
  | { kind: 'pglite'; dataDir: string }
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
  jwt: {
    secret: string;
    /** True when no JWT_SECRET was given and one was generated for this process. */
    generated: boolean;
    expiresInSeconds: number;
    issuer: string;
    audience: string;
  };
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
  /** Runs one user may have streaming at once; more is 429. */
  maxConcurrentRunsPerUser: number;
  /** Accounts registered with these emails get the `admin` role. */
  adminEmails: string[];
}
