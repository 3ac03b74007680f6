import { TooManyActiveRuns } from '../runs.errors.js';
import { RunSlots, type RunSlotLimits, type RunSlotOwner } from './run-slots.js';

/** The one-process caps: three counters, taken synchronously so two requests cannot both see a free slot. */
export class MemoryRunSlots extends RunSlots {
  private readonly perUser = new Map<string, number>();
  private readonly perAddress = new Map<string, number>();
  private total = 0;

  constructor(private readonly limits: RunSlotLimits) {
    super();
  }

  acquire(owner: RunSlotOwner): Promise<() => void> {
    const users = this.perUser.get(owner.userId) ?? 0;
    const addresses = owner.address === undefined ? 0 : (this.perAddress.get(owner.address) ?? 0);
    if (users >= this.limits.perUser) return Promise.reject(new TooManyActiveRuns('user', this.limits.perUser));
    if (addresses >= this.limits.perAddress) {
      return Promise.reject(new TooManyActiveRuns('address', this.limits.perAddress));
    }
    if (this.total >= this.limits.total) return Promise.reject(new TooManyActiveRuns('server', this.limits.total));
    this.perUser.set(owner.userId, users + 1);
    if (owner.address !== undefined) this.perAddress.set(owner.address, addresses + 1);
    this.total++;
    let released = false;
    return Promise.resolve(() => {
      if (released) return;
      released = true;
      decrement(this.perUser, owner.userId);
      if (owner.address !== undefined) decrement(this.perAddress, owner.address);
      this.total--;
    });
  }

  renew(): Promise<void> {
    return Promise.resolve();
  }
}

function decrement(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left <= 0) counts.delete(key);
  else counts.set(key, left);
}
