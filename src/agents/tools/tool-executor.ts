import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import type { ToolContext } from './tool-context.js';
import { ToolError, type ToolErrorResult } from './tool.error.js';
import { ToolRegistry } from './tool-registry.js';

export interface ToolCallRequest {
  id: string;
  name: string;
  input: unknown;
}

export type ToolOutcome =
  | { id: string; name: string; input: unknown; ok: true; result: unknown; durationMs: number }
  | { id: string; name: string; input: unknown; ok: false; error: ToolErrorResult; durationMs: number };

class Timeout extends Error {}

/**
 * Runs one tool call under the runtime's rules: the agent's allow-list, input validation, the user context
 * injected here (never from the model), a timeout and the run's abort signal. Every failure is returned as a
 * structured `{error, code, recoverable}` for the model; nothing thrown by a tool escapes.
 */
@Injectable()
export class ToolExecutor {
  private readonly logger = new Logger(ToolExecutor.name);

  constructor(
    private readonly registry: ToolRegistry,
    private readonly config: AppConfig,
  ) {}

  async execute(
    call: ToolCallRequest,
    allowed: readonly string[],
    ctx: Omit<ToolContext, 'signal'> & { signal: AbortSignal },
  ): Promise<ToolOutcome> {
    const started = performance.now();
    const done = (r: { ok: true; result: unknown } | { ok: false; error: ToolErrorResult }): ToolOutcome => ({
      id: call.id,
      name: call.name,
      input: call.input,
      durationMs: Math.round(performance.now() - started),
      ...r,
    });
    const fail = (code: ToolErrorResult['code'], error: string, recoverable = true) =>
      done({ ok: false, error: { error, code, recoverable } });

    const tool = this.registry.get(call.name);
    // An unlisted tool and an unknown one look the same to the model: it learns only what it may use.
    if (!tool || !allowed.includes(call.name))
      return fail('NOT_FOUND', `Unknown tool: ${call.name}. Available: ${allowed.join(', ') || 'none'}`);
    const parsed = tool.input.safeParse(call.input);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
      return fail('INVALID_INPUT', `Invalid input for ${call.name}: ${issues}`);
    }
    if (ctx.signal.aborted) return fail('INTERNAL_ERROR', 'The run was cancelled', false);

    const timeoutMs = tool.timeoutMs ?? this.config.toolTimeoutMs;
    const local = new AbortController();
    const onAbort = () => local.abort(ctx.signal.reason);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        local.abort(new Timeout());
        reject(new Timeout());
      }, timeoutMs);
    });
    const aborted = new Promise<never>((_, reject) =>
      local.signal.addEventListener('abort', () => reject(local.signal.reason), { once: true }),
    );
    try {
      const result = await Promise.race([tool.invoke(parsed.data, { ...ctx, signal: local.signal }), timeout, aborted]);
      return done({ ok: true, result: result ?? null });
    } catch (err) {
      if (err instanceof Timeout) return fail('TIMEOUT', `Tool ${call.name} timed out after ${timeoutMs} ms`);
      if (err instanceof ToolError) return fail(err.code, err.message, err.recoverable);
      if (ctx.signal.aborted) return fail('INTERNAL_ERROR', 'The run was cancelled', false);
      this.logger.error({
        msg: 'tool failed',
        tool: call.name,
        run_id: ctx.runId,
        error: err instanceof Error ? err.stack : String(err),
      });
      // The model sees that the tool failed, not why: internals stay in the log.
      return fail('INTERNAL_ERROR', `Tool ${call.name} failed unexpectedly`);
    } finally {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
      if (!local.signal.aborted) local.abort();
    }
  }
}
