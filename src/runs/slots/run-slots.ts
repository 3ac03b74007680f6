export interface RunSlotOwner {
  runId: string;
  userId: string;
  /** The client address the run was started from (undefined for work with none, e.g. a queued task). */
  address?: string;
}

export interface RunSlotLimits {
  perUser: number;
  perAddress: number;
  total: number;
}

/**
 * The caps on runs active at once: per user, per client address (many accounts from one address count together),
 * and for the whole service. A run holds one slot from the moment it is accepted (queued runs too) until it ends.
 * In one process the counts are in memory; with REDIS_URL they are counted once across instances, and a slot whose
 * instance died frees itself when its lease runs out.
 */
export abstract class RunSlots {
  /** Takes a slot under every cap, or throws `TooManyActiveRuns`; resolves to the release (safe to call twice). */
  abstract acquire(owner: RunSlotOwner): Promise<() => void>;

  /** Renews the leases of the slots of runs this instance still drives. */
  abstract renew(runIds: string[]): Promise<void>;
}
