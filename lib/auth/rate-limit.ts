/**
 * A fixed-window attempt counter per key. An attempt is taken BEFORE the work it guards (the
 * password check) and given back only if it succeeds, so requests sent in parallel cannot all
 * pass the check while none has been counted yet, and only failures (and attempts still
 * running) use up the allowance.
 */
export class AttemptLimiter {
  private readonly entries = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
    /** At most this many keys are remembered; expired ones go first, then the oldest. */
    private readonly maxKeys = 10_000,
  ) {}

  /** Milliseconds until the key may try again, or 0 when it may try now. */
  retryAfter(key: string): number {
    const entry = this.live(key);
    return entry && entry.count >= this.max ? entry.resetAt - this.now() : 0;
  }

  /** Takes one attempt: true, or false (nothing taken) when the key has none left in this window. */
  take(key: string): boolean {
    const entry = this.live(key);
    if (entry) {
      if (entry.count >= this.max) return false;
      entry.count += 1;
      return true;
    }
    if (this.entries.size >= this.maxKeys) this.evict();
    this.entries.set(key, { count: 1, resetAt: this.now() + this.windowMs });
    return true;
  }

  /** Gives one attempt back (the password was right). */
  release(key: string): void {
    const entry = this.live(key);
    if (!entry) return;
    entry.count -= 1;
    if (entry.count <= 0) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private live(key: string) {
    const entry = this.entries.get(key);
    if (entry && entry.resetAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /**
   * Makes room for one key. Evicting a live key forgets its failures, so this only happens when
   * every remembered key is still live; the per-address allowance of LoginLimiter keeps one
   * address from filling the map with user names to push its own entry out.
   */
  private evict(): void {
    const t = this.now();
    for (const [key, entry] of this.entries) if (entry.resetAt <= t) this.entries.delete(key);
    while (this.entries.size >= this.maxKeys) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}

export type LoginAttempt = { ok: true; succeeded: () => void } | { ok: false; retryAfterMs: number };

/**
 * Sign-in attempts, limited per (client address, user name) and, more loosely, per client address
 * across user names. A correct password gives its attempts back, so a user who signs in many
 * times (the e2e suite, a shared office address) is never limited by successes; failures stay
 * counted until their window ends, even after a later success.
 */
export class LoginLimiter {
  private readonly perUser: AttemptLimiter;
  private readonly perAddress: AttemptLimiter;

  constructor(
    opts: { perUser?: number; perAddress?: number; windowMs?: number; maxKeys?: number; now?: () => number } = {},
  ) {
    const windowMs = opts.windowMs ?? 5 * 60 * 1000;
    this.perUser = new AttemptLimiter(opts.perUser ?? 10, windowMs, opts.now, opts.maxKeys);
    this.perAddress = new AttemptLimiter(opts.perAddress ?? 30, windowMs, opts.now, opts.maxKeys);
  }

  /** Synchronous on purpose: the check and the count happen with no await in between. */
  begin(address: string, username: string): LoginAttempt {
    const userKey = `${address}|${username}`;
    const wait = Math.max(this.perUser.retryAfter(userKey), this.perAddress.retryAfter(address));
    if (wait > 0) return { ok: false, retryAfterMs: wait };
    this.perUser.take(userKey);
    this.perAddress.take(address);
    let done = false;
    return {
      ok: true,
      succeeded: () => {
        if (done) return;
        done = true;
        this.perUser.release(userKey);
        this.perAddress.release(address);
      },
    };
  }

  /** Keys remembered (both limits), for tests and a bound on memory. */
  get size(): number {
    return this.perUser.size + this.perAddress.size;
  }
}
