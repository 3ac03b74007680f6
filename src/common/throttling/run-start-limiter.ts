import { Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, type ThrottlerStorage } from '@nestjs/throttler';
import { AppError } from '../errors/app.error.js';
import { AppConfig } from '../../config/app-config.js';

const MINUTE = 60_000;

/** The chat limit's key for a user: the chat routes' throttler and every other entry point count under it. */
export function chatLimitKey(tracker: string): string {
  return `chat|${tracker}`;
}

export class RateLimited extends AppError {
  constructor(retryAfterSeconds: number) {
    super('RATE_LIMITED', 'Too many requests; retry after the time in Retry-After');
    this.retryAfterSeconds = Math.max(1, retryAfterSeconds);
  }
}

/**
 * The chat limit (RATE_LIMIT_CHAT_PER_MINUTE) for run starts that do not come through a chat route (WebSocket
 * `chat` frames, `agent.run` tasks): the same storage and key as the routes' throttler, so a user's starts are
 * counted once whatever they come through, and across instances with REDIS_URL.
 */
@Injectable()
export class RunStartLimiter {
  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    private readonly config: AppConfig,
  ) {}

  async consume(userId: string): Promise<void> {
    const hit = await this.storage.increment(
      chatLimitKey(`user:${userId}`),
      MINUTE,
      this.config.rateLimit.chatPerMinute,
      MINUTE,
      'chat',
    );
    if (hit.isBlocked) throw new RateLimited(hit.timeToBlockExpire);
  }
}
