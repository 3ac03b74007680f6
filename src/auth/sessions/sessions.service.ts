import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ClusterEvents } from '../../cluster/cluster-events.js';
import { AppConfig } from '../../config/app-config.js';
import type { AuthUser } from '../auth-user.js';
import { AuthSessionsRepository } from './auth-sessions.repository.js';
import { SessionStates } from './session-states.js';
import { SESSIONS_ENDED, type SessionsEnded } from './sessions-ended.channel.js';

interface PendingRead {
  userId: string;
  live: Promise<boolean>;
}

/** Sessions remembered per process (about 150 bytes each). */
const SESSION_STATES_CAPACITY = 10_000;

/**
 * Sessions: one per sign-in, named by the access token's `sid`. The guard asks `isLive` on every request; the
 * answer comes from memory (SessionStates) and the database is read once per session per SESSION_CACHE_TTL_MS,
 * concurrent requests of one session sharing that read. Ending sessions writes the database first, then forgets
 * them here at once and tells every instance (SESSIONS_ENDED), each of which forgets them too, so their next
 * request reads the ended state.
 */
@Injectable()
export class SessionsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Sessions');
  private readonly states: SessionStates;
  private readonly reads = new Map<string, PendingRead>();
  private unsubscribe?: () => void;

  constructor(
    private readonly repository: AuthSessionsRepository,
    private readonly events: ClusterEvents,
    private readonly config: AppConfig,
  ) {
    this.states = new SessionStates(SESSION_STATES_CAPACITY, config.sessionCacheTtlMs);
  }

  onModuleInit(): void {
    this.unsubscribe = this.events.subscribe(SESSIONS_ENDED, (ended) => this.forget(ended));
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  /** A session for a user whose password was just verified against `passwordHash`; `undefined` if it changed since. */
  start(userId: string, passwordHash: string): Promise<string | undefined> {
    return this.repository.start(userId, passwordHash, this.config.jwt.expiresInSeconds);
  }

  isLive(user: AuthUser): Promise<boolean> | boolean {
    const known = this.states.get(user.sessionId, user.id, Date.now());
    if (known !== undefined) return known;
    const pending = this.reads.get(user.sessionId);
    if (pending) return pending.live.then((live) => live && pending.userId === user.id);
    const read: PendingRead = { userId: user.id, live: Promise.resolve(false) };
    read.live = this.read(user.sessionId, user.id).finally(() => {
      // Unless a notice replaced it meanwhile: requests after a notice must not share a read begun before it.
      if (this.reads.get(user.sessionId) === read) this.reads.delete(user.sessionId);
    });
    this.reads.set(user.sessionId, read);
    return read.live;
  }

  async end(user: AuthUser): Promise<void> {
    await this.repository.revoke(user.sessionId, user.id);
    await this.announce({ session_id: user.sessionId });
  }

  /** After every session of the user ended in the database (password changed, account deleted). */
  allEnded(userId: string): Promise<void> {
    return this.announce({ user_id: userId });
  }

  private async read(sessionId: string, userId: string): Promise<boolean> {
    const generation = this.states.generation;
    const found = (await this.repository.findState(sessionId)) ?? { userId, live: false, expiresAtMs: 0 };
    this.states.set(sessionId, found, Date.now(), generation);
    return found.live && found.userId === userId;
  }

  private async announce(ended: SessionsEnded): Promise<void> {
    // Here at once, not when our own notice comes back: this instance's next request must see it.
    this.forget(ended);
    try {
      await this.events.publish(SESSIONS_ENDED, ended);
    } catch (err) {
      // The database has it: other instances read it again within SESSION_CACHE_TTL_MS.
      this.logger.warn({ msg: 'could not tell other instances that sessions ended', error: String(err) });
    }
  }

  private forget(ended: SessionsEnded): void {
    if ('session_id' in ended) {
      this.states.dropSession(ended.session_id);
      this.reads.delete(ended.session_id);
    } else {
      this.states.dropUser(ended.user_id);
      for (const [sessionId, read] of this.reads) if (read.userId === ended.user_id) this.reads.delete(sessionId);
    }
  }
}
