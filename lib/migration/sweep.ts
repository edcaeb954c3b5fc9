import "server-only";
import { db } from "@/lib/db";
import type { Host } from "@/lib/generated/prisma/client";
import { call, deleteCheckpoint, HELPER_LABEL, inspectOrNull, ITEM_LABEL, openSide, removeContainer, type Side } from "@/lib/migration/docker-ops";
import { describeLeftover, parseLeftovers, withoutLeftovers, type Leftover } from "@/lib/migration/leftovers";
import { POOL_SUFFIX } from "@/lib/migration/helper-pool";
import { isBatchEnded, itemStatus, TERMINAL, type ItemStatus } from "@/lib/migration/state";

/**
 * What a migration may leave on a host when that host stops answering in the middle (a target
 * daemon killed mid-transfer): half-made target containers, whose names would block the next
 * attempt, and helper containers. The rollback resumes the source first and never waits for the
 * target; this sweep removes them once the host answers again (the host monitor runs it, and so
 * does recovery after a restart), and with them the checkpoints and stopped sources that a cleanup
 * recorded on its item because it could not remove them.
 */

/** Helper tags of Ferry's own short-lived tools (not tied to one item). */
const TOOL_TAGS = new Set(["criu-probe", "socket-scan", "memory-scan", "close-external", "read-host-file", "fresh-digest"]);
/** A tool container older than this is a leftover (the tools run for seconds). */
const TOOL_MAX_AGE_S = 10 * 60;

export type SweepDecision = { id: string; reason: string };

type Listed = { Id: string; Names: string[]; Labels: Record<string, string>; Created: number; State: string };
type ItemFacts = { id: string; status: ItemStatus; targetContainerId: string | null };

/**
 * Which containers to remove: pure, from the listing, the items they belong to, and the status of
 * the batches whose helper pools (`<migrationId>/pool`) are listed.
 */
export function leftovers(containers: Listed[], items: Map<string, ItemFacts>, nowS: number, batches: Map<string, string> = new Map()): SweepDecision[] {
  const out: SweepDecision[] = [];
  for (const c of containers) {
    const name = (c.Names[0] ?? c.Id).replace(/^\//, "");
    const helperTag = c.Labels[HELPER_LABEL];
    if (helperTag !== undefined) {
      if (TOOL_TAGS.has(helperTag)) {
        if (nowS - c.Created > TOOL_MAX_AGE_S) out.push({ id: c.Id, reason: `Ferry tool ${name} (${helperTag}) left running` });
        continue;
      }
      if (helperTag.endsWith(POOL_SUFFIX)) {
        // A batch's pool: in use while the batch runs (a resumed batch replaces an earlier run's).
        const status = batches.get(helperTag.slice(0, -POOL_SUFFIX.length));
        if (status ? isBatchEnded(status) : nowS - c.Created > TOOL_MAX_AGE_S) out.push({ id: c.Id, reason: `helper ${name} of a finished batch` });
        continue;
      }
      const itemId = helperTag.split("/")[1];
      const item = itemId ? items.get(itemId) : undefined;
      // A helper of an item this Ferry does not know may belong to another Ferry: only when old.
      if (item ? TERMINAL.has(item.status) : nowS - c.Created > TOOL_MAX_AGE_S) out.push({ id: c.Id, reason: `helper ${name} of a finished move` });
      continue;
    }
    const itemId = c.Labels[ITEM_LABEL];
    if (itemId === undefined) continue;
    const item = items.get(itemId);
    if (!item) continue; // not known to this Ferry: never touch it
    if (!TERMINAL.has(item.status)) continue; // in flight
    if (item.status === "done") {
      // The move finished with another container as its copy: this one is a stray duplicate,
      // but only if it does not run (a running container is never removed by a sweep).
      if (item.targetContainerId && item.targetContainerId !== c.Id && c.State !== "running")
        out.push({ id: c.Id, reason: `stray copy ${name} of a finished move` });
      continue;
    }
    // rolled-back, failed, skipped: the source is the container's home; this is a half-made target.
    out.push({ id: c.Id, reason: `half-made target ${name} of a move that ended ${item.status}` });
  }
  return out;
}

/** Removes leftovers on one host; returns what it removed. */
export async function sweepHost(side: Side, nowS = Math.floor(Date.now() / 1000)): Promise<SweepDecision[]> {
  const [targets, helpers] = await Promise.all([
    call(side, () => side.docker.listContainers({ all: true, filters: { label: [ITEM_LABEL] } })),
    call(side, () => side.docker.listContainers({ all: true, filters: { label: [HELPER_LABEL] } })),
  ]);
  const all = [...targets, ...helpers] as unknown as Listed[];
  const ids = new Set<string>();
  const pools = new Set<string>();
  for (const c of all) {
    const tag = c.Labels[HELPER_LABEL];
    if (tag?.endsWith(POOL_SUFFIX)) pools.add(tag.slice(0, -POOL_SUFFIX.length));
    const fromItem = c.Labels[ITEM_LABEL];
    const fromHelper = c.Labels[HELPER_LABEL]?.split("/")[1];
    for (const id of [fromItem, fromHelper]) if (id) ids.add(id);
  }
  const rows = ids.size
    ? await db.migrationItem.findMany({ where: { id: { in: [...ids] } }, select: { id: true, status: true, targetContainerId: true } })
    : [];
  const items = new Map<string, ItemFacts>(rows.map((r) => [r.id, { id: r.id, status: itemStatus(r.status), targetContainerId: r.targetContainerId }]));
  const batches = pools.size ? new Map((await db.migration.findMany({ where: { id: { in: [...pools] } }, select: { id: true, status: true } })).map((b) => [b.id, b.status])) : new Map<string, string>();
  const decisions = leftovers(all, items, nowS, batches);
  const removed: SweepDecision[] = await sweepRecorded(side);
  for (const d of decisions) {
    // One container that cannot be removed now must not keep the others: the next sweep retries it.
    await removeContainer(side, d.id).then(
      () => removed.push(d),
      (err: unknown) => console.warn(`[ferry] sweep of ${side.host.name}: ${d.reason}: ${err instanceof Error ? err.message : String(err)}`),
    );
  }
  return removed;
}

/**
 * What finished moves recorded they could not remove on this host (a checkpoint, a stopped source):
 * removed now, and taken off the item. A stopped source is removed only for a move that ended
 * done, and never if it runs again (someone started it: it is theirs now).
 */
async function sweepRecorded(side: Side): Promise<SweepDecision[]> {
  const rows = await db.migrationItem.findMany({ where: { leftovers: { contains: side.host.id } }, select: { id: true, status: true, leftovers: true } });
  const out: SweepDecision[] = [];
  for (const row of rows) {
    const status = itemStatus(row.status);
    if (!TERMINAL.has(status)) continue; // in flight or awaiting recovery: its own cleanup comes first
    const done: Leftover[] = [];
    for (const l of parseLeftovers(row.leftovers).filter((x) => x.hostId === side.host.id)) {
      try {
        if (l.kind === "checkpoint") await deleteCheckpoint(side, l.containerId, l.checkpointId);
        else if (status === "done") {
          const now = await inspectOrNull(side, l.containerId);
          if (now && !now.State.Running) await removeContainer(side, l.containerId);
          if (now?.State.Running) console.warn(`[ferry] sweep of ${side.host.name}: ${describeLeftover(l)} runs again; left alone`);
        }
        done.push(l);
        out.push({ id: l.containerId, reason: `${describeLeftover(l)}, left by a finished move` });
      } catch (err) {
        console.warn(`[ferry] sweep of ${side.host.name}: ${describeLeftover(l)}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (done.length) await db.migrationItem.update({ where: { id: row.id }, data: { leftovers: withoutLeftovers(row.leftovers, done) } });
  }
  return out;
}

const lastSweep = new Map<string, number>();
/** How often the host monitor sweeps a host that answers. */
const SWEEP_INTERVAL_MS = 60_000;

/** Sweeps a host that answers, at most once a minute (the host monitor calls it after each check). */
export async function sweepIfDue(host: Host, log: (msg: string) => void = console.log, now = Date.now()): Promise<void> {
  if (now - (lastSweep.get(host.id) ?? 0) < SWEEP_INTERVAL_MS) return;
  lastSweep.set(host.id, now);
  const removed = await sweepHost(await openSide(host));
  for (const d of removed) log(`swept ${host.name}: removed ${d.reason}`);
}
