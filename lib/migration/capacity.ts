/**
 * Target memory budgets. Pure: the engine feeds it what it measured.
 * The original lab froze a 2 GB target at ~140 restores; Ferry never admits a restore that would
 * take a target past its budget.
 */

/** A containerd shim and runc state per running container (measured ~14 MiB in the lab). */
export const SHIM_OVERHEAD_BYTES = 14 * 1024 * 1024;

/**
 * Moves in flight at once on one host (as source or target) across all batches, unless the host
 * sets its own limit (Hosts → Edit → Migration limits). Each batch also has its own concurrency.
 */
export const HOST_CONCURRENCY_DEFAULT = 4;

/** Default budget: 80% of the host's memory, leaving room for the daemon and the OS. */
const DEFAULT_BUDGET_FRACTION = 0.8;

export function defaultBudget(memTotal: number): number {
  return Math.floor(memTotal * DEFAULT_BUDGET_FRACTION);
}

/** What one container needs on the target: its resident memory plus the shim. */
export function memoryNeed(usageBytes: number | null | undefined, limitBytes?: number | null): number {
  const usage = usageBytes && usageBytes > 0 ? usageBytes : 0;
  // A container with a memory limit may grow to it; count the larger of use and a tenth of the limit.
  const floor = limitBytes && limitBytes > 0 ? Math.min(limitBytes, Math.max(usage, limitBytes / 10)) : usage;
  return Math.ceil(floor) + SHIM_OVERHEAD_BYTES;
}

/** Counts memory in use on one target and admits work only while it fits the budget. */
export class CapacityLedger {
  private reserved = 0;

  constructor(
    readonly budgetBytes: number,
    readonly usedAtStartBytes: number,
  ) {}

  get committedBytes(): number {
    return this.usedAtStartBytes + this.reserved;
  }

  get freeBytes(): number {
    return Math.max(0, this.budgetBytes - this.committedBytes);
  }

  /** Reserves `need` bytes if they fit; false (and nothing reserved) if they do not. */
  tryAdmit(need: number): boolean {
    if (need < 0 || !Number.isFinite(need)) return false;
    if (this.committedBytes + need > this.budgetBytes) return false;
    this.reserved += need;
    return true;
  }

  /** Gives back a reservation (the item was rolled back or failed before the restore). */
  release(need: number): void {
    this.reserved = Math.max(0, this.reserved - need);
  }
}
