/** A counting semaphore: at most `limit` holders at once, served in arrival order. */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`semaphore limit must be a positive integer, got ${limit}`);
  }

  get inUse(): number {
    return this.active;
  }

  async acquire(): Promise<() => void> {
    if (this.active < this.limit) {
      this.active++;
    } else {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/**
 * A bounded queue between two stages: `put` waits while `capacity` values are waiting, `take`
 * waits for a value and answers null once the channel is closed and empty. Served in order.
 */
export class Channel<T> {
  private readonly values: T[] = [];
  private readonly takers: ((v: T | null) => void)[] = [];
  private readonly putters: (() => void)[] = [];
  private closed = false;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new Error(`channel capacity must be at least 1, got ${capacity}`);
  }

  async put(value: T): Promise<void> {
    if (this.closed) throw new Error("put on a closed channel");
    const taker = this.takers.shift();
    if (taker) return taker(value);
    while (this.values.length >= this.capacity) await new Promise<void>((r) => this.putters.push(r));
    this.values.push(value);
  }

  take(): Promise<T | null> {
    if (this.values.length) {
      const v = this.values.shift()!;
      this.putters.shift()?.();
      return Promise.resolve(v);
    }
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => this.takers.push(resolve));
  }

  /** No more values: takers waiting now, and later ones once it is empty, get null. */
  close(): void {
    this.closed = true;
    for (const t of this.takers.splice(0)) t(null);
  }
}

/** `fn` over `values`, at most `limit` at once; the results in the order of `values`. */
export async function mapLimit<T, R>(values: readonly T[], limit: number, fn: (v: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(values.length);
  let next = 0;
  const worker = async () => {
    while (next < values.length) {
      const i = next++;
      out[i] = await fn(values[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, values.length) }, worker));
  return out;
}
