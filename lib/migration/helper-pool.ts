import "server-only";
import type Docker from "dockerode";
import { bindOnly, removeContainer, type Side } from "@/lib/migration/docker-ops";
import { createTool } from "@/lib/migration/probe";
import { RestoreCopies } from "@/lib/migration/restore-copies";
import { TaskReader } from "@/lib/migration/task-reader";

/**
 * The helpers a batch reads and writes checkpoints through, per host. A helper is a container of
 * Ferry's own tool image that is never started: it mounts the host's `<DockerRootDir>/containers`
 * (not recursively: the mounts of running containers below it stay out), so the archive API can
 * read `<source id>/checkpoints/<checkpoint>` and write into `<target id>/checkpoints/`.
 *
 * Docker holds a container's lock while an archive of it streams, so one helper carries one
 * transfer at a time; the pool lends each transfer its own, up to `size`, and makes them only when
 * first needed. They belong to the batch (`<migrationId>/pool`): created once instead of two per
 * container, removed when the batch's moves end, swept with the batch otherwise. The pool also
 * holds the host's task reader (lib/migration/task-reader.ts), through which the verify of each
 * move reads CRIU's restore log, and the copies of restored checkpoints that containerd 1.6 leaves
 * on the host (lib/migration/restore-copies.ts), removed before the pool closes.
 */
export const POOL_SUFFIX = "/pool";
export const MOUNT = "/ferry-containers";

export class HelperPool {
  private readonly free: Docker.Container[] = [];
  private readonly made: Docker.Container[] = [];
  private making = 0;
  private readonly waiting: ((c: Docker.Container) => void)[] = [];
  readonly tasks: TaskReader;
  readonly copies: RestoreCopies;

  constructor(
    readonly side: Side,
    readonly tag: string,
    private readonly size: number,
  ) {
    this.tasks = new TaskReader(side, tag);
    this.copies = new RestoreCopies(side, tag);
  }

  /** Lends a helper; give it back with `release`. */
  async acquire(): Promise<Docker.Container> {
    const idle = this.free.pop();
    if (idle) return idle;
    if (this.made.length + this.making < this.size) {
      this.making++;
      try {
        const c = await createTool(this.side, ["cat"], this.tag, {
          Mounts: [bindOnly(`${this.side.rootDir}/containers`, MOUNT)],
        });
        this.made.push(c);
        return c;
      } finally {
        this.making--;
      }
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(c: Docker.Container): void {
    const next = this.waiting.shift();
    if (next) next(c);
    else this.free.push(c);
  }

  /** Lends a helper for the duration of `fn`. */
  async with<T>(fn: (helper: Docker.Container) => Promise<T>): Promise<T> {
    const c = await this.acquire();
    try {
      return await fn(c);
    } finally {
      this.release(c);
    }
  }

  /** Removes the restore copies it was told of, then its helpers; what cannot be removed now is swept with the batch. */
  async close(): Promise<void> {
    await this.copies.settle();
    await Promise.allSettled([...this.made.splice(0).map((c) => removeContainer(this.side, c.id)), this.tasks.close()]);
    this.free.length = 0;
  }
}

/** The helper tag of a batch's pool (`ops.removeHelpers` with it removes an earlier run's pool). */
export const poolTag = (migrationId: string) => `${migrationId}${POOL_SUFFIX}`;
