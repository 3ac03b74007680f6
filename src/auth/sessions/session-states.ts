interface Entry {
  userId: string;
  live: boolean;
  /** Until when the entry may answer without asking the database again. */
  validUntilMs: number;
}

/** What the database said about a session: its owner, whether it is live, when it expires. */
export interface SessionRow {
  userId: string;
  live: boolean;
  expiresAtMs: number;
}

/**
 * What this process last read about sessions, so the guard need not read the database on every request. Bounded:
 * past `capacity` sessions the oldest stored is dropped (and read again if it comes back).
 *
 * - A live session is trusted for `ttlMs` at most (never past its own expiry), then read again: that bounds how
 *   long a revocation whose notice never arrived (ClusterEvents delivers at most once) goes unseen here.
 * - An ended session (revoked, expired, or gone with its user) never comes back, so it is remembered until evicted:
 *   a revoked token sent again and again costs no read.
 * - Every drop (a session or a user's sessions ended, here or on another instance) bumps `generation`. A read that
 *   was in flight across a drop may have seen the session before it ended: `set` refuses to store its answer.
 */
export class SessionStates {
  private readonly entries = new Map<string, Entry>();
  private readonly byUser = new Map<string, Set<string>>();
  private drops = 0;

  constructor(
    private readonly capacity: number,
    private readonly ttlMs: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Increases with every drop; pass the value taken before a read to `set`. */
  get generation(): number {
    return this.drops;
  }

  /** `true` live, `false` ended, `undefined` unknown (never read, dropped, or due to be read again). */
  get(sessionId: string, userId: string, nowMs: number): boolean | undefined {
    const entry = this.entries.get(sessionId);
    if (!entry) return undefined;
    if (nowMs >= entry.validUntilMs) {
      this.remove(sessionId, entry.userId);
      return undefined;
    }
    return entry.live && entry.userId === userId;
  }

  /** Stores what a read that began at `generation` found, unless a drop happened meanwhile. */
  set(sessionId: string, row: SessionRow, nowMs: number, generation: number): void {
    if (generation !== this.drops) return;
    const live = row.live && nowMs < row.expiresAtMs;
    if (live && this.ttlMs === 0) return;
    const existing = this.entries.get(sessionId);
    if (existing) this.remove(sessionId, existing.userId);
    if (this.entries.size >= this.capacity) {
      const [oldestId, oldest] = this.entries.entries().next().value!;
      this.remove(oldestId, oldest.userId);
    }
    const validUntilMs = live ? Math.min(nowMs + this.ttlMs, row.expiresAtMs) : Number.POSITIVE_INFINITY;
    this.entries.set(sessionId, { userId: row.userId, live, validUntilMs });
    let sessions = this.byUser.get(row.userId);
    if (!sessions) this.byUser.set(row.userId, (sessions = new Set()));
    sessions.add(sessionId);
  }

  dropSession(sessionId: string): void {
    this.drops++;
    const entry = this.entries.get(sessionId);
    if (entry) this.remove(sessionId, entry.userId);
  }

  dropUser(userId: string): void {
    this.drops++;
    for (const sessionId of this.byUser.get(userId) ?? []) this.entries.delete(sessionId);
    this.byUser.delete(userId);
  }

  private remove(sessionId: string, userId: string): void {
    this.entries.delete(sessionId);
    const sessions = this.byUser.get(userId);
    sessions?.delete(sessionId);
    if (sessions?.size === 0) this.byUser.delete(userId);
  }
}
