import "server-only";
import type Docker from "dockerode";
import type { Migration, MigrationItem } from "@/lib/generated/prisma/client";
import { env } from "@/lib/env";
import { formatBytes } from "@/lib/format";
import { checkpointExplained, restoreExplained } from "@/lib/migration/criu";
import * as ops from "@/lib/migration/docker-ops";
import { MigrationError } from "@/lib/migration/errors";
import { withLeftovers, type Leftover } from "@/lib/migration/leftovers";
import { journal, setStatus, updateItem, type ItemData } from "@/lib/migration/record";
import { MOUNT as HELPER_MOUNT, type HelperPool } from "@/lib/migration/helper-pool";
import { judgeRestore, type RestoreProof } from "@/lib/migration/restore-proof";
import { closeExternalConnections } from "@/lib/migration/sockets";
import { TaskReader } from "@/lib/migration/task-reader";
import type { ItemStatus, PhaseName } from "@/lib/migration/state";
import type { MigrationOptions } from "@/lib/validations/migration";

/**
 * The phases of one container's move, as one ordered table. Each entry says, in one place:
 * the status the item is in while the phase runs, the step itself, how its result is recorded,
 * and what to do when the dashboard died during it (`interrupted`, run by recovery after a
 * restart or after an engine error). The engine's runner is a loop over `PHASES`; a failure from
 * the checkpoint on runs `ROLLBACK`.
 *
 *   image-sync → create → checkpoint → transfer → restore → verify → cleanup → done
 *
 * Verify is where a move is proven: the target runs, stays up, and its host's evidence says CRIU
 * restored it (lib/migration/restore-proof.ts); a container started afresh rolls back.
 *
 * The target container is created before the checkpoint: the source keeps running while Ferry
 * prepares, so the downtime covers only checkpoint → transfer → restore → verify.
 */

/** Test seams (fault injection); production passes none. */
export type EngineHooks = {
  beforeRestore?: (ctx: { item: MigrationItem; target: ops.Side; targetContainerId: string; checkpointId: string }) => Promise<void>;
  /** Called once a phase has started (its status and row written), before its step runs. */
  beforePhase?: (ctx: { item: MigrationItem; phase: PhaseName; source: ops.Side; target: ops.Side; targetContainerId?: string; checkpointId: string }) => Promise<void>;
  afterPhase?: (ctx: { item: MigrationItem; phase: PhaseName }) => Promise<void>;
  /**
   * Stands in for a daemon that answers `start --checkpoint` by starting the container afresh
   * (docker/for-linux#1192): for the items it names, the restore phase starts the target without
   * its checkpoint, and the verify must catch it.
   */
  startsAfresh?: (item: MigrationItem) => boolean;
};

type ImageSync = { ref: string; bytes: number; loaded: boolean };

/** What one batch shares between its items. */
export type BatchRun = {
  migration: Migration;
  options: MigrationOptions;
  /** One image load per image and target per batch: later items wait for the first one's. */
  images: Map<string, { owner: string; result: Promise<ImageSync> }>;
  hooks: EngineHooks;
  /** Live bytes of a transfer (not stored). */
  progress: (item: MigrationItem, bytes: number, ms: number) => void;
  /** The batch's checkpoint helpers on a host (lib/migration/helper-pool.ts). */
  helpers: (side: ops.Side) => HelperPool;
};

/** One item's move while it runs: each phase reads what the phases before it found. */
export type Move = {
  batch: BatchRun;
  item: MigrationItem;
  src: ops.Side;
  tgt: ops.Side;
  status: ItemStatus;
  checkpointId: string;
  warnings: string[];
  fresh?: Docker.ContainerInspectInfo;
  image?: ImageSync & { own: boolean };
  targetId?: string;
  checkpointAt?: Date;
  transferred?: { cpBytes: number; files: number; volumes: number; bytes: number };
  /** CRIU's inventory.img of the checkpoint, seen as it was transferred: names its restored copies. */
  inventory?: Buffer;
  downtimeMs?: number;
};

/** What recovery knows about an item found in flight: its hosts (the target may be down) and its container there. */
export type Interrupted = {
  batch: Migration;
  options: MigrationOptions;
  item: MigrationItem;
  status: ItemStatus;
  src: ops.Side;
  tgt: ops.Side | null;
  /** The target container as the target host shows it now (null: gone, or the host is down). */
  target: Docker.ContainerInspectInfo | null;
  /** Why the item is being resolved ("the dashboard restarted during this move"). */
  note: string;
};

export type Phase<R = unknown> = {
  /** The item's status while the phase runs. */
  status: ItemStatus;
  /** The name its timing row is recorded under. */
  phase: PhaseName;
  /** Fields written together with the status change that enters the phase. */
  enter?: (m: Move) => ItemData;
  run: (m: Move) => Promise<R>;
  /** The phase row's detail and bytes, and item fields the phase found (written with the row's end). */
  describe: (m: Move, r: R) => { detail?: string; bytes?: number; data?: ItemData };
  /** After a restart (or an engine error) during this phase: resolve the item from what the hosts show. */
  interrupted: (x: Interrupted) => Promise<void>;
};

const msg = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** "1.0 GiB in 8.2 s (125 MiB/s)" */
function formatRate(bytes: number, ms: number): string {
  return `${formatBytes(bytes)} in ${(ms / 1000).toFixed(1)} s (${formatBytes(ms > 0 ? (bytes * 1000) / ms : 0)}/s)`;
}

/** Removes a half-made target; on failure says so (the host sweep removes it once the host answers). */
export async function removeHalfMadeTarget(tgt: ops.Side, targetId: string): Promise<string | null> {
  try {
    await ops.removeContainer(tgt, targetId);
    return null;
  } catch (err) {
    return `the half-made target ${targetId.slice(0, 12)} on ${tgt.host.name} could not be removed yet (${msg(err)}); it is removed when ${tgt.host.name} answers again`;
  }
}

// ---------------------------------------------------------------------------------------------
// What recovery does, shared by the phases' `interrupted` handlers.

/** Before the checkpoint the source was never touched: remove whatever was made on the target and start over. */
async function startOver(x: Interrupted): Promise<void> {
  // A half-made target on a host that is down is swept when it answers again.
  if (x.tgt) for (const id of await ops.containersOfItem(x.tgt, x.item.id).catch(() => [])) await ops.removeContainer(x.tgt, id).catch(() => undefined);
  await setStatus(x.item.id, x.status, { type: "requeue" }, { targetContainerId: null });
  journal(x.item, `${x.note} before the checkpoint; it starts over`);
}

/** The restore happened (the target runs): finish the move as cleanup would have. */
async function finishOnTarget(x: Interrupted, target: Docker.ContainerInspectInfo, tgt: ops.Side): Promise<void> {
  const cp = x.item.checkpointId ?? `ferry-${x.item.id}`;
  const { problems, leftovers } = await cleanUp(x.src, tgt, x.item, target.Id, cp, x.options.keepSource);
  let status = x.status;
  const last = { finishedAt: new Date(), warnings: JSON.stringify([`${x.note}; finished from what the hosts showed (downtime not measured)`, ...problems]), leftovers: withLeftovers(x.item.leftovers, leftovers) };
  while (status !== "done") status = await setStatus(x.item.id, status, { type: "advance" }, status === "cleanup" ? last : {});
  journal(x.item, `running on ${tgt.host.name}; ${x.note}, finished`);
}

/** After the checkpoint and before a verified target: resume the source from its checkpoint. */
async function rollBack(x: Interrupted): Promise<void> {
  let status = x.status;
  if (status !== "rolling-back") status = await setStatus(x.item.id, status, { type: "fail", reason: x.note }, { error: `${x.note}; rolled back`, errorCode: "INTERRUPTED" });
  const cp = x.item.checkpointId ?? `ferry-${x.item.id}`;
  const { detail, leftovers, leftover } = await undo(x.src, x.tgt, (x.item.targetHostName ?? x.batch.targetHostName), x.item, cp, x.item.targetContainerId);
  const warnings: string[] = x.item.warnings ? (JSON.parse(x.item.warnings) as string[]) : [];
  if (leftover) warnings.push(leftover);
  const downtimeMs = x.item.checkpointAt ? Date.now() - x.item.checkpointAt.getTime() : null;
  await setStatus(x.item.id, status, { type: "rolled-back" }, { downtimeMs, finishedAt: new Date(), leftovers: withLeftovers(x.item.leftovers, leftovers), ...(warnings.length ? { warnings: JSON.stringify(warnings) } : {}) });
  journal(x.item, `${x.note}; ${detail}`);
}

/**
 * The way back, in its one order, for a failure and for recovery alike: the source first (it depends
 * on nothing but the source host), then the half-made target, whose host may be the one that just
 * failed (what cannot be removed now is swept when that host answers again).
 */
async function undo(
  src: ops.Side,
  tgt: ops.Side | null,
  targetHostName: string,
  item: MigrationItem,
  checkpointId: string,
  targetId: string | null,
): Promise<{ detail: string; leftovers: Leftover[]; leftover: string | null }> {
  const { detail, leftovers } = await resumeSource(src, item.sourceContainerId, checkpointId, Number(item.memoryNeedBytes ?? 0));
  const leftover = !targetId ? null : tgt ? await removeHalfMadeTarget(tgt, targetId) : `the half-made target on ${targetHostName} is removed when it answers again`;
  return { detail, leftovers, leftover };
}

/**
 * Restore or verify interrupted: the target either runs, restored (finish), or does not, or was
 * started afresh (roll back).
 */
async function finishOrRollBack(x: Interrupted): Promise<void> {
  if (x.tgt && x.target?.State.Running) {
    const proof = await provenRestore(x.tgt, x.target.Id, `${x.batch.id}/${x.item.id}`).catch((err: unknown) => ({ proven: false as const, message: `its restore could not be checked (${msg(err)})` }));
    if (proof.proven) return finishOnTarget(x, x.target, x.tgt);
    return rollBack({ ...x, note: `${x.note}; ${proof.message}` });
  }
  return rollBack(x);
}

/** Reads a running container's restore evidence once, outside a batch's pool. */
async function provenRestore(tgt: ops.Side, containerId: string, tag: string): Promise<RestoreProof> {
  const reader = new TaskReader(tgt, tag);
  try {
    return judgeRestore(await reader.evidence(containerId), tgt.host.name, tgt.dockerVersion);
  } finally {
    await reader.close();
  }
}

/**
 * The checkpoints and the source, once the target runs. What could not be removed is returned as
 * warnings and as leftovers, which the item keeps and the host sweep removes later.
 */
async function cleanUp(src: ops.Side, tgt: ops.Side, item: MigrationItem, targetId: string, checkpointId: string, keepSource: boolean): Promise<{ problems: string[]; leftovers: Leftover[] }> {
  const r = { problems: [] as string[], leftovers: [] as Leftover[] };
  const checkpointLeft = (side: ops.Side, containerId: string) => (e: unknown) => {
    r.problems.push(`the checkpoint ${checkpointId} on ${side.host.name} could not be deleted (${msg(e)}); the host sweep deletes it`);
    r.leftovers.push({ kind: "checkpoint", hostId: side.host.id, containerId, checkpointId });
  };
  await ops.deleteCheckpoint(tgt, targetId, checkpointId).catch(checkpointLeft(tgt, targetId));
  if (keepSource) await ops.deleteCheckpoint(src, item.sourceContainerId, checkpointId).catch(checkpointLeft(src, item.sourceContainerId));
  else
    await ops.removeContainer(src, item.sourceContainerId).catch((e: unknown) => {
      r.problems.push(`the stopped source on ${src.host.name} could not be removed (${msg(e)}); the host sweep removes it`);
      r.leftovers.push({ kind: "stopped-source", hostId: src.host.id, containerId: item.sourceContainerId, name: item.name });
    });
  return r;
}

/** Resumes the source from its own checkpoint (if it is stopped). Needs nothing but the source host. */
async function resumeSource(src: ops.Side, sourceId: string, checkpointId: string, memoryBytes = 0): Promise<{ detail: string; leftovers: Leftover[] }> {
  // The source's daemon may be what failed (killed, restarting): the container it holds stopped
  // has nowhere else to go, so wait for it to answer again rather than give up on the first refusal.
  const waited = await ops.untilAnswers(src, env().FERRY_SOURCE_WAIT_MS);
  // A checkpoint may still be under way in the daemon (the source is frozen while CRIU dumps).
  const info = await ops.waitSettled(src, sourceId);
  if (info.State.Running) {
    await ops.deleteCheckpoint(src, sourceId, checkpointId).catch(() => undefined); // there may be none
    return { detail: "the source never stopped; it is still running", leftovers: [] };
  }
  const have = await ops.listCheckpoints(src, sourceId);
  if (!have.includes(checkpointId)) {
    // Never leave it stopped: start it afresh, and say plainly that its memory state is gone.
    await ops.call(src, () => src.docker.getContainer(sourceId).start());
    await ops.verifyRunning(src, sourceId);
    throw new Error(`the checkpoint ${checkpointId} did not survive; the source was started again from scratch (its memory state is lost)`);
  }
  let attempts: number;
  try {
    attempts = await restoreExplained(src, sourceId, checkpointId, 10, memoryBytes);
  } catch (err) {
    // The checkpoint exists but CRIU cannot restore it here either. Never leave the container
    // stopped: start it afresh, keep the checkpoint for the operator, and say what was lost.
    const cause = msg(err);
    const now = await ops.inspect(src, sourceId);
    if (!now.State.Running) await ops.call(src, () => src.docker.getContainer(sourceId).start());
    await ops.verifyRunning(src, sourceId);
    throw new Error(
      `resuming from the checkpoint failed (${cause}); the source was started again from scratch (its memory state is lost); the checkpoint ${checkpointId} is kept in ${ops.checkpointsDir(src, sourceId)} on ${src.host.name}`,
    );
  }
  await ops.verifyRunning(src, sourceId);
  const leftovers: Leftover[] = [];
  const kept = await ops.deleteCheckpoint(src, sourceId, checkpointId).then(
    () => "",
    (e: unknown) => {
      leftovers.push({ kind: "checkpoint", hostId: src.host.id, containerId: sourceId, checkpointId });
      return `; its checkpoint could not be deleted (${msg(e)}), the host sweep deletes it`;
    },
  );
  const after = waited > 1000 ? ` once ${src.host.name} answered again (after ${(waited / 1000).toFixed(1)} s)` : "";
  return { detail: `source resumed from its checkpoint${after}${attempts > 1 ? ` (after ${attempts} attempts)` : ""}${kept}`, leftovers };
}

// ---------------------------------------------------------------------------------------------
// The table.

const imageSync: Phase<ImageSync & { own: boolean }> = {
  status: "image-sync",
  phase: "image-sync",
  enter: () => ({ startedAt: new Date() }),
  async run(m) {
    const fresh = await ops.inspect(m.src, m.item.sourceContainerId);
    if (!fresh.State.Running) throw new MigrationError("image-sync", "NOT_RUNNING", `image-sync: the container is ${fresh.State.Status} now; only running containers are migrated`);
    m.fresh = fresh;
    const key = `${m.tgt.host.id}/${fresh.Image}`;
    let sync = m.batch.images.get(key);
    if (!sync) {
      sync = { owner: m.item.id, result: ops.syncImage(m.src, m.tgt, fresh.Config.Image, fresh.Image) };
      m.batch.images.set(key, sync);
      sync.result.catch(() => m.batch.images.delete(key));
    }
    m.image = { ...(await sync.result), own: sync.owner === m.item.id };
    return m.image;
  },
  describe: (m, r) =>
    !r.loaded
      ? { detail: `already on ${m.tgt.host.name}`, bytes: 0 }
      : r.own
        ? { detail: `loaded ${r.ref} (${formatBytes(r.bytes)})`, bytes: r.bytes }
        : { detail: `loaded once for the batch by another container (${r.ref})`, bytes: 0 },
  interrupted: startOver,
};

const create: Phase<{ id: string; closed: string[] }> = {
  status: "creating",
  phase: "create",
  async run(m) {
    const fresh = m.fresh!;
    const opts = ops.targetCreateOptions(fresh, m.item.targetName ?? m.item.name, m.image!.ref);
    // Marked, so a restart can find a target created just before the process died.
    opts.Labels = { ...opts.Labels, [ops.ITEM_LABEL]: m.item.id };
    m.targetId = await ops.createContainer(m.tgt, opts);

    // Connections to peers outside the container cannot follow it to another host: close them
    // now, while the source still serves (its peers see them closed and reconnect), so that the
    // restore does not fail on an address the target does not have. Never in the host's namespace.
    const netMode = fresh.HostConfig.NetworkMode ?? "default";
    const closed: string[] = [];
    if ((m.item.externalConnections ?? 0) > 0 || (!["none", "host"].includes(netMode) && !netMode.startsWith("container:"))) {
      const r = await closeExternalConnections(m.src, m.item.sourceContainerId).catch((err: unknown) => {
        throw new MigrationError("create", "CONNECTIONS", `could not close its connections to peers outside the container: ${msg(err)} (the source was not touched)`);
      });
      if (r.failed.length) throw new MigrationError("create", "CONNECTIONS", `could not close ${r.failed.length} connection(s) to peers outside the container: ${r.failed.slice(0, 3).join("; ")}`);
      if (r.closed.length) {
        m.warnings.push(`closed ${r.closed.length} connection(s) to peers outside the container before the checkpoint: ${r.closed.slice(0, 5).join(", ")}`);
        closed.push(...r.closed);
      }
    }
    return { id: m.targetId, closed };
  },
  describe: (m, r) => ({
    data: { targetContainerId: r.id },
    detail: `created ${m.item.targetName ?? m.item.name} (${r.id.slice(0, 12)})${r.closed.length ? `; closed ${r.closed.length} connection(s) to peers outside the container (${r.closed.slice(0, 3).join(", ")})` : ""}`,
  }),
  interrupted: startOver,
};

const checkpoint: Phase<void> = {
  status: "checkpointing",
  phase: "checkpoint",
  // Downtime starts here.
  enter: (m) => ({ checkpointAt: (m.checkpointAt = new Date()), checkpointId: m.checkpointId }),
  run: (m) => checkpointExplained(m.src, m.item.sourceContainerId, m.checkpointId, Number(m.item.memoryNeedBytes ?? 0)),
  describe: (m) => ({ detail: `checkpoint ${m.checkpointId}` }),
  interrupted: rollBack,
};

const transfer: Phase<NonNullable<Move["transferred"]> & { ms: number }> = {
  status: "transferring",
  phase: "transfer",
  async run(m) {
    const started = Date.now();
    let bytes = 0;
    const add = (n: number) => m.batch.progress(m.item, (bytes += n), Date.now() - started);
    // The checkpoint and the container's files travel side by side, streamed host to host.
    const [cpBytes, fs] = await Promise.all([
      m.batch.helpers(m.src).with((srcHelper) =>
        m.batch.helpers(m.tgt).with((tgtHelper) =>
          ops.transferCheckpoint(
            { side: m.src, helper: srcHelper, containerId: m.item.sourceContainerId },
            { side: m.tgt, helper: tgtHelper, containerId: m.targetId! },
            HELPER_MOUNT,
            m.checkpointId,
            add,
            (inventory) => (m.inventory = inventory),
          ),
        ),
      ),
      ops.copyFilesystem(m.src, m.fresh!, m.tgt, m.targetId!, add),
    ]);
    if (fs.deleted.length) m.warnings.push(`${fs.deleted.length} file(s) deleted in the container are still present on the target: ${fs.deleted.slice(0, 5).join(", ")}`);
    m.transferred = { cpBytes, files: fs.files, volumes: fs.volumes, bytes: fs.bytes };
    return { ...m.transferred, ms: Date.now() - started };
  },
  describe: (m, r) => ({
    data: { bytesMoved: BigInt((m.image!.own ? m.image!.bytes : 0) + r.cpBytes + r.bytes) },
    detail: `checkpoint ${formatBytes(r.cpBytes)}, ${r.files} changed path(s), ${r.volumes} volume(s), ${formatBytes(r.bytes)} of files; ${formatRate(r.cpBytes + r.bytes, r.ms)}`,
    bytes: r.cpBytes + r.bytes,
  }),
  interrupted: rollBack,
};

const restore: Phase<number> = {
  status: "restoring",
  phase: "restore",
  async run(m) {
    await m.batch.hooks.beforeRestore?.({ item: m.item, target: m.tgt, targetContainerId: m.targetId!, checkpointId: m.checkpointId });
    if (m.batch.hooks.startsAfresh?.(m.item)) {
      await ops.call(m.tgt, () => m.tgt.docker.getContainer(m.targetId!).start());
      return 1;
    }
    return restoreExplained(m.tgt, m.targetId!, m.checkpointId, undefined, m.transferred!.cpBytes);
  },
  describe: (_m, attempts) => ({ detail: attempts > 1 ? `restored after ${attempts} attempts (containerd's transient "already exists")` : "restored" }),
  interrupted: finishOrRollBack,
};

const verify: Phase<string> = {
  status: "verifying",
  phase: "verify",
  async run(m) {
    // Downtime ends when the restored process runs; that it stays up is checked after, and that
    // it was restored, not started afresh, from the evidence its host keeps (restore-proof.ts).
    const first = await ops.running(m.tgt, m.targetId!);
    m.downtimeMs = Date.now() - m.checkpointAt!.getTime();
    const [, evidence] = await Promise.all([ops.staysRunning(m.tgt, first), m.batch.helpers(m.tgt).tasks.evidence(m.targetId!)]);
    const proof = judgeRestore(evidence, m.tgt.host.name, m.tgt.dockerVersion);
    if (!proof.proven) throw new MigrationError("verify", proof.code, `verify: ${proof.message}`);
    return proof.detail;
  },
  describe: (_m, proof) => ({ detail: `running, not restarted; ${proof}` }),
  interrupted: finishOrRollBack,
};

const cleanup: Phase<string[]> = {
  status: "cleanup",
  phase: "cleanup",
  enter: (m) => ({ downtimeMs: m.downtimeMs }),
  async run(m) {
    // The copy of the checkpoint containerd 1.6 keeps after the restore: removed before the batch ends.
    if (m.inventory) m.batch.helpers(m.tgt).copies.add(m.inventory);
    const { problems, leftovers } = await cleanUp(m.src, m.tgt, m.item, m.targetId!, m.checkpointId, m.batch.options.keepSource);
    m.warnings.push(...problems);
    if (leftovers.length) await updateItem(m.item.id, { leftovers: withLeftovers(m.item.leftovers, leftovers) });
    return problems;
  },
  describe: (_m, problems) => ({ detail: problems.length ? `incomplete: ${problems.join("; ")}` : "checkpoints deleted, source removed" }),
  async interrupted(x) {
    if (x.tgt && x.target?.State.Running) return finishOnTarget(x, x.target, x.tgt);
    // The move had been verified; the copy on the target stopped since. Keep the source (if it is
    // still there) for the operator and say so; never start a second copy.
    const state = !x.tgt ? `${(x.item.targetHostName ?? x.batch.targetHostName)} is unreachable` : x.target ? `${x.target.State.Status}, exit ${x.target.State.ExitCode}` : "gone";
    await setStatus(x.item.id, x.status, { type: "advance" }, { finishedAt: new Date(), warnings: JSON.stringify([`${x.note} during cleanup; the copy on ${(x.item.targetHostName ?? x.batch.targetHostName)} is not running now (${state}); the source was left as it was`]) });
    journal(x.item, `${x.note} during cleanup; the copy on ${(x.item.targetHostName ?? x.batch.targetHostName)}: ${state}`);
  },
};

/** The forward phases, in order. */
export const PHASES: readonly Phase<never>[] = [imageSync, create, checkpoint, transfer, restore, verify, cleanup] as unknown as Phase<never>[];

/**
 * The way back, for a failure from the checkpoint on (`undo`: the source first, then the target).
 */
export const ROLLBACK = {
  status: "rolling-back",
  phase: "rollback",
  async run(m: Move): Promise<string> {
    const { detail, leftovers, leftover } = await undo(m.src, m.tgt, m.tgt.host.name, m.item, m.checkpointId, m.targetId ?? null);
    // The copies containerd 1.6 made of the checkpoint the source resumed from, and of the target's
    // restore if it got that far (a restore that fails in CRIU has made its copy already). Known
    // only once the transfer has seen the checkpoint go by: nothing waits here on a host (the
    // source may be the host that died).
    if (m.inventory) for (const side of [m.src, m.tgt]) m.batch.helpers(side).copies.add(m.inventory);
    if (leftovers.length) await updateItem(m.item.id, { leftovers: withLeftovers(m.item.leftovers, leftovers) });
    if (leftover) m.warnings.push(leftover);
    return leftover ? `${detail}; ${leftover}` : detail;
  },
  interrupted: rollBack,
} as const satisfies Pick<Phase, "status" | "phase" | "interrupted"> & { run: (m: Move) => Promise<string> };

/** The entry whose status an item is in (for recovery). */
export function phaseFor(status: ItemStatus): Pick<Phase, "interrupted"> | null {
  if (status === ROLLBACK.status) return ROLLBACK;
  return PHASES.find((p) => p.status === status) ?? null;
}
