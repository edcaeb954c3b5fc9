import "server-only";
import { bindOnly, type Side } from "@/lib/migration/docker-ops";
import { runTool } from "@/lib/migration/probe";

/**
 * containerd 1.6 (the containerd of Docker 20.10) unpacks every checkpoint it restores into a
 * directory of its own, `ctrd-checkpoint<N>` in its temp dir, and never removes it
 * (containerd#10166): each restore leaves the process's whole memory image on the host, on the
 * target of every move and on the source of every rollback. Where /tmp is a tmpfs, that is memory
 * the target's budget does not see. The containerds of Docker 26.1 and 28.5 leave nothing.
 *
 * Ferry removes its own copies and nothing else: a copy is a `ctrd-checkpoint*` directory whose
 * inventory.img (CRIU's, unique to one dump) has exactly the bytes of a checkpoint Ferry restored.
 * A started helper of Ferry's tool image mounts the host's temp dir and runs `drop-copies`
 * (lib/migration/probe-image.ts). A run costs the host about what a move's own calls cost (a
 * container created, started and removed): one per move made a 40-container batch a third slower,
 * with the runs competing with restores. So a run takes every checkpoint noted since the last one,
 * and starts when 32 are waiting, 15 s after the oldest was noted, or when the batch ends: a
 * batch costs a run or two per host, outside the moves' slots and their downtime.
 */

/** containerd's temp dir: its XDG_RUNTIME_DIR or TMPDIR, set by none of the Dockers we know. */
export const CONTAINERD_TMP = "/tmp";
const MOUNT = "/ferry-host-tmp";
/** Checkpoints per run: keeps the command line far below the kernel's limit (inventories are ~50 bytes). */
const PER_RUN = 200;
/** A run starts once this many are waiting, or this long after the oldest was noted. */
const RUN_AT = 32;
const RUN_AFTER_MS = 15_000;

export type DropResult = { dropped: number; bytes: number; failed: string[] };

/** Parses the tool's output (pure; unit-tested). */
export function parseDropOutput(stdout: string): DropResult {
  const r: DropResult = { dropped: 0, bytes: 0, failed: [] };
  for (const line of stdout.split("\n")) {
    const dropped = /^dropped (\S+) (\d+)$/.exec(line);
    if (dropped) {
      r.dropped++;
      r.bytes += Number(dropped[2]);
    }
    const failed = /^failed (\S+) errno (\d+)$/.exec(line);
    if (failed) r.failed.push(`${failed[1]} (errno ${failed[2]})`);
  }
  return r;
}

export class RestoreCopies {
  private readonly pending = new Set<string>();
  private draining: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  readonly total: DropResult = { dropped: 0, bytes: 0, failed: [] };
  readonly problems: string[] = [];

  constructor(
    readonly side: Side,
    readonly tag: string,
  ) {}

  /** Notes a checkpoint this host restored (its inventory.img); its copy is removed soon. */
  add(inventory: Buffer): void {
    if (inventory.length === 0) return;
    this.pending.add(inventory.toString("hex"));
    if (this.pending.size >= RUN_AT) this.kick();
    else this.timer ??= setTimeout(() => this.kick(), RUN_AFTER_MS).unref();
  }

  private kick(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.draining ??= this.drain().finally(() => (this.draining = null));
  }

  private async drain(): Promise<void> {
    while (this.pending.size) {
      const batch = [...this.pending].slice(0, PER_RUN);
      for (const h of batch) this.pending.delete(h);
      try {
        const run = await runTool(this.side, ["drop-copies", MOUNT, ...batch], this.tag, { Mounts: [bindOnly(CONTAINERD_TMP, MOUNT)] });
        if (run.exitCode !== 0) throw new Error(`exit ${run.exitCode}: ${(run.stdout + run.stderr).trim().slice(-200)}`);
        const r = parseDropOutput(run.stdout);
        this.total.dropped += r.dropped;
        this.total.bytes += r.bytes;
        this.total.failed.push(...r.failed);
      } catch (err) {
        this.problems.push(`the copies containerd left in ${this.side.host.name}'s ${CONTAINERD_TMP} after ${batch.length} restore(s) were not removed: ${(err as Error).message}`);
      }
    }
  }

  /** Looks for every noted checkpoint's copy now, and waits until that is done. */
  async settle(): Promise<void> {
    if (this.pending.size) this.kick();
    while (this.draining) await this.draining;
  }
}
