import "server-only";
import type Docker from "dockerode";
import { db } from "@/lib/db";
import { env } from "@/lib/env";
import type { Host, Migration, MigrationItem } from "@/lib/generated/prisma/client";
import { toDockerError } from "@/lib/docker/errors";
import { formatBytes } from "@/lib/format";
import { CapacityLedger } from "@/lib/migration/capacity";
import * as ops from "@/lib/migration/docker-ops";
import { checkpointExplained, restoreExplained } from "@/lib/migration/criu";
import { MigrationError } from "@/lib/migration/errors";
import { closeExternalConnections } from "@/lib/migration/sockets";
import { getIo } from "@/lib/realtime/emitter";
import { ROOMS } from "@/lib/realtime/protocol";
import { hostBudget, targetUsage } from "@/lib/migration/preflight";
import { endPhase, log, startPhase, updateBatch, updateItem } from "@/lib/migration/record";
import { Semaphore } from "@/lib/migration/semaphore";
import { HOST_CONCURRENCY_DEFAULT } from "@/lib/migration/capacity";
import { batchOutcome, isBatchEnded, itemStatus, phaseOf, TERMINAL, transition, type ItemEvent, type ItemStatus, type PhaseName } from "@/lib/migration/state";
import { migrationOptionsSchema, type MigrationOptions } from "@/lib/validations/migration";

/**
 * The engine: the only code that talks to Docker during a migration. It runs in the server
 * process, outside any request. Each batch: one target, items admitted in order while they fit the
 * target's memory budget, at most `concurrency` in flight per host. Every item either ends with
 * its container running on the target, or with the source resumed from its own checkpoint.
 */

/** Test seams (fault injection); production passes none. */
export type EngineHooks = {
  beforeRestore?: (ctx: { item: MigrationItem; target: ops.Side; targetContainerId: string; checkpointId: string }) => Promise<void>;
  afterPhase?: (ctx: { item: MigrationItem; phase: PhaseName }) => Promise<void>;
};

type BatchCtx = {
  migration: Migration;
  options: MigrationOptions;
  target: ops.Side;
  sources: Map<string, Promise<ops.Side>>;
  images: Map<string, { owner: string; result: Promise<{ ref: string; bytes: number; loaded: boolean }> }>;
  ledger: CapacityLedger;
  hosts: Map<string, Host>;
};

/** "1.0 GiB in 8.2 s (125 MiB/s)" */
function formatRate(bytes: number, ms: number): string {
  return `${formatBytes(bytes)} in ${(ms / 1000).toFixed(1)} s (${formatBytes(ms > 0 ? (bytes * 1000) / ms : 0)}/s)`;
}

/**
 * Live bytes of an item's transfer, announced at most four times a second (not stored: the
 * phase's row gets the total when it ends).
 */
function transferProgress(item: MigrationItem, startedAt: number) {
  let bytes = 0;
  let timer: NodeJS.Timeout | null = null;
  const announce = () => {
    timer = null;
    const ms = Date.now() - startedAt;
    getIo()?.to(ROOMS.migration(item.migrationId)).emit("migration:progress", { migrationId: item.migrationId, itemId: item.id, bytes, bytesPerSecond: ms > 0 ? Math.round((bytes * 1000) / ms) : 0 });
  };
  return {
    add: (n: number) => {
      bytes += n;
      timer ??= setTimeout(announce, 250);
    },
    stop: () => {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

const toSide = (h: Host): ops.HostSide => ({ id: h.id, name: h.name, endpoint: h.endpoint, tlsCa: h.tlsCa, tlsCert: h.tlsCert, tlsKey: h.tlsKey, sshKey: h.sshKey });
const msg = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class MigrationEngine {
  private readonly runs = new Map<string, Promise<void>>();
  private readonly cancelled = new Set<string>();
  /** hostId/containerId of every item in flight in this process: one operation per container. */
  private readonly locks = new Set<string>();
  /**
   * One memory ledger per target host and one slot semaphore per host, shared by every batch of
   * this engine: two batches to the same target cannot each fill its whole budget.
   */
  private readonly ledgers = new Map<string, { ledger: Promise<CapacityLedger>; batches: number }>();
  private readonly hostSlots = new Map<string, Semaphore>();

  private readonly limits: ops.Limits;

  constructor(
    private readonly hooks: EngineHooks = {},
    limits?: ops.Limits,
  ) {
    const ms = env().FERRY_MIGRATION_TIMEOUT_MS;
    this.limits = limits ?? { callMs: ms, idleMs: ms };
  }

  private open(h: Host): Promise<ops.Side> {
    return ops.openSide(toSide(h), this.limits);
  }

  private slotOf(host: Pick<Host, "id" | "maxConcurrency">): Semaphore {
    let slot = this.hostSlots.get(host.id);
    const limit = host.maxConcurrency ?? HOST_CONCURRENCY_DEFAULT;
    if (!slot || (slot.limit !== limit && slot.inUse === 0)) this.hostSlots.set(host.id, (slot = new Semaphore(limit)));
    return slot;
  }

  /** The target's shared ledger. Set before its usage is measured, so batches starting together share one. */
  private ledgerOf(targetHost: Host, target: ops.Side): Promise<CapacityLedger> {
    const held = this.ledgers.get(targetHost.id);
    if (held) {
      held.batches++;
      return held.ledger;
    }
    const ledger = targetUsage(target).then((used) => new CapacityLedger(hostBudget(targetHost, target.memTotal), used));
    this.ledgers.set(targetHost.id, { ledger, batches: 1 });
    ledger.catch(() => this.ledgers.delete(targetHost.id));
    return ledger;
  }

  private releaseLedger(targetHostId: string): void {
    const held = this.ledgers.get(targetHostId);
    if (held && --held.batches <= 0) this.ledgers.delete(targetHostId);
  }

  /** Runs (or resumes) a batch in the background; the promise settles when the batch ends. */
  start(migrationId: string): Promise<void> {
    const existing = this.runs.get(migrationId);
    if (existing) return existing;
    const p = this.run(migrationId)
      .catch(async (err) => {
        console.error(`[ferry] migration ${migrationId} crashed:`, err);
        await log(migrationId, null, "error", `engine error: ${msg(err)}`).catch(() => undefined);
      })
      .finally(() => this.runs.delete(migrationId));
    this.runs.set(migrationId, p);
    return p;
  }

  isRunning(migrationId: string): boolean {
    return this.runs.has(migrationId);
  }

  /** Stops admitting items; those in flight finish or roll back. */
  async cancel(migrationId: string): Promise<void> {
    this.cancelled.add(migrationId);
    await updateBatch(migrationId, { cancelRequested: true });
    await log(migrationId, null, "cancel", "cancel requested: no further containers start; those in flight finish or roll back");
  }

  private async run(migrationId: string): Promise<void> {
    const migration = await db.migration.findUniqueOrThrow({ where: { id: migrationId } });
    if (isBatchEnded(migration.status)) return;
    if (migration.cancelRequested) this.cancelled.add(migrationId);
    const options = migrationOptionsSchema.parse(JSON.parse(migration.options));
    await updateBatch(migrationId, { status: "running", ...(migration.startedAt ? {} : { startedAt: new Date() }) });

    const pending = await db.migrationItem.findMany({ where: { migrationId, status: "pending" }, orderBy: { seq: "asc" } });
    if (pending.length) {
      const ctx = await this.context(migration, options).catch(async (err: unknown) => {
        const cause = toDockerError(err).message;
        for (const item of pending) await this.skip(item, `target ${migration.targetHostName} unreachable: ${cause}`);
        return null;
      });
      if (ctx) {
        try {
          await log(migrationId, null, "start", `${pending.length} container(s) to ${ctx.target.host.name}, ${options.concurrency} at a time; budget ${formatBytes(ctx.ledger.budgetBytes)}, ${formatBytes(ctx.ledger.committedBytes)} in use or reserved`);
          let next = 0;
          const worker = async () => {
            while (next < pending.length) {
              const item = pending[next++]!;
              // An unexpected throw (a database write, a bug) must not stop the other workers or
              // leave this item half-way: it is resolved from what the hosts show.
              await this.admit(ctx, item).catch((err: unknown) => this.rescue(migration, options, item, err));
            }
          };
          await Promise.all(Array.from({ length: Math.min(options.concurrency, pending.length) }, worker));
        } finally {
          this.releaseLedger(migration.targetHostId);
        }
      }
    }
    // Whatever is still pending (an item set back by a rescue) did not start: it stays on its source.
    for (const item of await db.migrationItem.findMany({ where: { migrationId, status: "pending" } }))
      await this.skip(item, "not started: the engine hit an error before its checkpoint; still running on its source");
    const items = await db.migrationItem.findMany({ where: { migrationId }, select: { status: true } });
    const status = batchOutcome(items as { status: ItemStatus }[], this.cancelled.has(migrationId));
    this.cancelled.delete(migrationId);
    await updateBatch(migrationId, { status, finishedAt: new Date() });
    await log(migrationId, null, "end", `batch ${status}`);
  }

  private async context(migration: Migration, options: MigrationOptions): Promise<BatchCtx> {
    const targetHost = await db.host.findUniqueOrThrow({ where: { id: migration.targetHostId } });
    const target = await this.open(targetHost);
    const hosts = new Map((await db.host.findMany()).map((h) => [h.id, h]));
    const ledger = await this.ledgerOf(targetHost, target); // last: run() releases it once the workers end
    return { migration, options, target, sources: new Map(), images: new Map(), ledger, hosts };
  }

  private source(ctx: BatchCtx, hostId: string): Promise<ops.Side> {
    let s = ctx.sources.get(hostId);
    if (!s) {
      const host = ctx.hosts.get(hostId);
      s = host ? this.open(host) : Promise.reject(new Error(`source host ${hostId} is no longer registered`));
      ctx.sources.set(hostId, s);
    }
    return s;
  }

  private async skip(item: MigrationItem, reason: string): Promise<void> {
    await updateItem(item.id, { status: transition(itemStatus(item.status), { type: "skip", reason }), error: reason, errorCode: "SKIPPED", finishedAt: new Date() });
    await log(item.migrationId, item.id, "skipped", `${item.name}: ${reason}`);
  }

  private async admit(ctx: BatchCtx, item: MigrationItem): Promise<void> {
    if (this.cancelled.has(item.migrationId)) return this.skip(item, "cancelled before it started; still running on its source");
    const key = `${item.sourceHostId}/${item.sourceContainerId}`;
    if (this.locks.has(key)) return this.skip(item, "another migration of this container is in flight");
    let src: ops.Side;
    try {
      src = await this.source(ctx, item.sourceHostId);
    } catch (err) {
      return this.skip(item, `source ${item.sourceHostName} unreachable: ${toDockerError(err).message}`);
    }
    const need = Number(item.memoryNeedBytes ?? 0);
    if (!ctx.ledger.tryAdmit(need)) {
      return this.skip(
        item,
        `does not fit ${ctx.target.host.name}'s memory budget (needs ${formatBytes(need)}, ${formatBytes(ctx.ledger.freeBytes)} of ${formatBytes(ctx.ledger.budgetBytes)} free); still running on its source`,
      );
    }
    const srcHost = ctx.hosts.get(item.sourceHostId) ?? { id: item.sourceHostId, maxConcurrency: null };
    const tgtHost = ctx.hosts.get(ctx.target.host.id) ?? { id: ctx.target.host.id, maxConcurrency: null };
    this.locks.add(key);
    let status: ItemStatus | null = null;
    const releaseTgt = await this.slotOf(tgtHost).acquire();
    const releaseSrc = await this.slotOf(srcHost).acquire();
    try {
      status = await this.migrateItem(ctx, src, item);
    } finally {
      if (status !== "done") ctx.ledger.release(need);
      releaseSrc();
      releaseTgt();
      this.locks.delete(key);
    }
  }

  /** One container, phase by phase. Returns the item's final status. */
  private async migrateItem(ctx: BatchCtx, src: ops.Side, item: MigrationItem): Promise<ItemStatus> {
    const tgt = ctx.target;
    let status = itemStatus(item.status);
    let targetId: string | null = null;
    let checkpointAt: Date | null = null;
    const checkpointId = `ferry-${item.id}`;
    const warnings: string[] = item.warnings ? (JSON.parse(item.warnings) as string[]) : [];
    const tag = `${item.migrationId}/${item.id}`;
    const helpers: { src?: Docker.Container; tgt?: Docker.Container } = {};
    const removeHelpers = async () => {
      await Promise.all([
        helpers.src && ops.removeContainer(src, helpers.src.id).catch(() => undefined),
        helpers.tgt && ops.removeContainer(tgt, helpers.tgt.id).catch(() => undefined),
      ]);
      helpers.src = helpers.tgt = undefined;
    };

    const move = async (event: ItemEvent, data: Parameters<typeof updateItem>[1] = {}) => {
      status = transition(status, event);
      await updateItem(item.id, { status, ...data });
    };
    const phase = async <T>(fn: () => Promise<T>, describe: (r: T) => { detail?: string; bytes?: number } = () => ({})): Promise<T> => {
      const name = phaseOf(status)!;
      const id = await startPhase(item.id, name);
      try {
        const r = await fn();
        const d = describe(r);
        await endPhase(id, true, d.detail, d.bytes);
        await this.hooks.afterPhase?.({ item, phase: name });
        return r;
      } catch (err) {
        const e = MigrationError.wrap(name, err);
        await endPhase(id, false, e.message);
        throw e;
      }
    };

    try {
      await move({ type: "advance" }, { startedAt: new Date() }); // image-sync
      await log(item.migrationId, item.id, "phase", `${item.name}: syncing image ${item.image}`);
      const fresh = await ops.inspect(src, item.sourceContainerId);
      if (!fresh.State.Running) throw new MigrationError("image-sync", "NOT_RUNNING", `image-sync: the container is ${fresh.State.Status} now; only running containers are migrated`);
      // Once per image per batch: later items wait for the first one's load.
      let sync = ctx.images.get(fresh.Image);
      if (!sync) {
        sync = { owner: item.id, result: ops.syncImage(src, tgt, fresh.Config.Image, fresh.Image) };
        ctx.images.set(fresh.Image, sync);
        sync.result.catch(() => ctx.images.delete(fresh.Image));
      }
      const own = sync.owner === item.id;
      const synced = await phase(
        () => sync.result,
        (r) =>
          !r.loaded
            ? { detail: `already on ${tgt.host.name}`, bytes: 0 }
            : own
              ? { detail: `loaded ${r.ref} (${formatBytes(r.bytes)})`, bytes: r.bytes }
              : { detail: `loaded once for the batch by another container (${r.ref})`, bytes: 0 },
      );

      await move({ type: "advance" }); // creating
      targetId = await phase(
        async () => {
          const opts = ops.targetCreateOptions(fresh, item.targetName ?? item.name, synced.ref);
          // Marked, so a restart can find a target created just before the process died.
          opts.Labels = { ...opts.Labels, [ops.ITEM_LABEL]: item.id };
          const id = await ops.createContainer(tgt, opts);
          targetId = id;
          [helpers.src, helpers.tgt] = await Promise.all([
            ops.createHelper(src, fresh.Image, ops.checkpointsDir(src, item.sourceContainerId), tag),
            ops.createHelper(tgt, synced.ref, ops.checkpointsDir(tgt, id), tag),
          ]);
          return id;
        },
        (id) => ({ detail: `created ${item.targetName ?? item.name} (${id.slice(0, 12)})` }),
      );
      await updateItem(item.id, { targetContainerId: targetId });
      const before = await ops.processes(src, item.sourceContainerId).catch(() => null);

      // Connections to peers outside the container cannot follow it to another host: close them
      // now, while the source still serves (its peers see them closed and reconnect), so that the
      // restore does not fail on an address the target does not have. Never in the host's namespace.
      let closedNote = "";
      const netMode = fresh.HostConfig.NetworkMode ?? "default";
      if ((item.externalConnections ?? 0) > 0 || !["none", "host"].includes(netMode) && !netMode.startsWith("container:")) {
        const closed = await closeExternalConnections(src, item.sourceContainerId).catch((err: unknown) => {
          throw new MigrationError("create", "CONNECTIONS", `could not close its connections to peers outside the container: ${msg(err)} (the source was not touched)`);
        });
        if (closed.failed.length) throw new MigrationError("create", "CONNECTIONS", `could not close ${closed.failed.length} connection(s) to peers outside the container: ${closed.failed.slice(0, 3).join("; ")}`);
        if (closed.closed.length) {
          closedNote = `; closed ${closed.closed.length} connection(s) to peers outside the container first (${closed.closed.slice(0, 3).join(", ")})`;
          warnings.push(`closed ${closed.closed.length} connection(s) to peers outside the container before the checkpoint: ${closed.closed.slice(0, 5).join(", ")}`);
          await log(item.migrationId, item.id, "connections", `${item.name}: closed ${closed.closed.length} connection(s) to peers outside the container`);
        }
      }

      // Downtime starts here.
      checkpointAt = new Date();
      await move({ type: "advance" }, { checkpointAt, checkpointId }); // checkpointing
      await phase(() => checkpointExplained(src, item.sourceContainerId, checkpointId, Number(item.memoryNeedBytes ?? 0)), () => ({ detail: `checkpoint ${checkpointId}${closedNote}` }));

      await move({ type: "advance" }); // transferring
      const transferStarted = Date.now();
      const progress = transferProgress(item, transferStarted);
      const moved = await phase(
        async () => {
          // The checkpoint and the container's files travel side by side, streamed host to host.
          const [cpBytes, fsCopy] = await Promise.all([
            ops.transferCheckpoint(src, helpers.src!, tgt, helpers.tgt!, checkpointId, progress.add),
            ops.copyFilesystem(src, fresh, tgt, targetId!, progress.add),
          ]);
          if (fsCopy.deleted.length) warnings.push(`${fsCopy.deleted.length} file(s) deleted in the container are still present on the target: ${fsCopy.deleted.slice(0, 5).join(", ")}`);
          return { cpBytes, ...fsCopy };
        },
        (r) => ({
          detail: `checkpoint ${formatBytes(r.cpBytes)}, ${r.files} changed path(s), ${r.volumes} volume(s), ${formatBytes(r.bytes)} of files; ${formatRate(r.cpBytes + r.bytes, Date.now() - transferStarted)}`,
          bytes: r.cpBytes + r.bytes,
        }),
      ).finally(progress.stop);
      await updateItem(item.id, { bytesMoved: BigInt((own ? synced.bytes : 0) + moved.cpBytes + moved.bytes) });

      await move({ type: "advance" }); // restoring
      await this.hooks.beforeRestore?.({ item, target: tgt, targetContainerId: targetId, checkpointId });
      await phase(
        () => restoreExplained(tgt, targetId!, checkpointId, undefined, moved.cpBytes),
        (attempts) => ({ detail: attempts > 1 ? `restored after ${attempts} attempts (containerd's transient "already exists")` : "restored" }),
      );

      await move({ type: "advance" }); // verifying
      await phase(() => ops.verifyRunning(tgt, targetId!), () => ({ detail: "running, not restarted" }));
      const downtimeMs = Date.now() - checkpointAt.getTime();
      const after = await ops.processes(tgt, targetId).catch(() => null);
      if (before && after && before.join("\n") !== after.join("\n")) warnings.push(`process list changed across the move (before: ${before.length}, after: ${after.length})`);

      await move({ type: "advance" }, { downtimeMs }); // cleanup
      await phase(async () => {
        const problems: string[] = [];
        await removeHelpers();
        await ops.deleteCheckpoint(tgt, targetId!, checkpointId).catch((e: unknown) => problems.push(`target checkpoint: ${msg(e)}`));
        if (ctx.options.keepSource) await ops.deleteCheckpoint(src, item.sourceContainerId, checkpointId).catch((e: unknown) => problems.push(`source checkpoint: ${msg(e)}`));
        else await ops.removeContainer(src, item.sourceContainerId).catch((e: unknown) => problems.push(`source container: ${msg(e)}`));
        if (problems.length) warnings.push(`cleanup incomplete: ${problems.join("; ")}`);
      });

      await move({ type: "advance" }, { finishedAt: new Date(), warnings: warnings.length ? JSON.stringify(warnings) : null });
      await log(item.migrationId, item.id, "done", `${item.name}: running on ${tgt.host.name}, ${downtimeMs} ms of downtime`);
      return status;
    } catch (err) {
      const e = MigrationError.wrap(phaseOf(status) ?? "preflight", err);
      await removeHelpers();
      return this.fail(ctx, src, item, status, e, { targetId, checkpointAt, checkpointId, warnings });
    }
  }

  /** Before the checkpoint: clean up, source untouched. After: roll back to the source's checkpoint. */
  private async fail(
    ctx: BatchCtx,
    src: ops.Side,
    item: MigrationItem,
    from: ItemStatus,
    e: MigrationError,
    s: { targetId: string | null; checkpointAt: Date | null; checkpointId: string; warnings: string[] },
  ): Promise<ItemStatus> {
    const tgt = ctx.target;
    const next = transition(from, { type: "fail", reason: e.message });
    const warnings = s.warnings.length ? JSON.stringify(s.warnings) : null;
    if (next === "failed") {
      const leftover = s.targetId ? await this.removeHalfMadeTarget(tgt, s.targetId) : null;
      if (leftover) s.warnings.push(leftover);
      const error = `${e.message} (the source was not touched and is still running)`;
      await updateItem(item.id, { status: next, error, errorCode: e.code, finishedAt: new Date(), warnings: s.warnings.length ? JSON.stringify(s.warnings) : null });
      await log(item.migrationId, item.id, "failed", `${item.name}: ${error}`);
      return next;
    }
    // rolling-back
    await updateItem(item.id, { status: next, error: e.message, errorCode: e.code, warnings });
    await log(item.migrationId, item.id, "rollback", `${item.name}: ${e.message}; rolling back`);
    const phaseId = await startPhase(item.id, "rollback");
    try {
      // The source first: it depends on nothing but the source host. The target (which may be
      // the host that just failed) is cleaned up after, or swept when it answers again.
      const detail = await this.resumeSource(src, item.sourceContainerId, s.checkpointId, Number(item.memoryNeedBytes ?? 0));
      const leftover = s.targetId ? await this.removeHalfMadeTarget(tgt, s.targetId) : null;
      if (leftover) s.warnings.push(leftover);
      await endPhase(phaseId, true, leftover ? `${detail}; ${leftover}` : detail);
      const downtimeMs = s.checkpointAt ? Date.now() - s.checkpointAt.getTime() : null;
      await updateItem(item.id, {
        status: transition(next, { type: "rolled-back" }),
        downtimeMs,
        finishedAt: new Date(),
        warnings: s.warnings.length ? JSON.stringify(s.warnings) : null,
      });
      await log(item.migrationId, item.id, "rolled-back", `${item.name}: ${detail}`);
      return "rolled-back";
    } catch (rbErr) {
      const restarted = /started again from scratch/.test(msg(rbErr));
      const reason = restarted
        ? `rollback incomplete: ${msg(rbErr)}`
        : `rollback failed: ${msg(rbErr)}. The checkpoint ${s.checkpointId} is kept on ${src.host.name}; resume with: docker start --checkpoint ${s.checkpointId} ${item.name}`;
      await endPhase(phaseId, false, reason);
      await updateItem(item.id, { status: transition(next, { type: "rollback-failed", reason }), error: `${e.message}; ${reason}`, finishedAt: new Date() });
      await log(item.migrationId, item.id, "failed", `${item.name}: ${reason}`);
      return "failed";
    }
  }

  /** Removes a half-made target; on failure says so (the host sweep removes it once the host answers). */
  private async removeHalfMadeTarget(tgt: ops.Side, targetId: string): Promise<string | null> {
    try {
      await ops.removeContainer(tgt, targetId);
      return null;
    } catch (err) {
      return `the half-made target ${targetId.slice(0, 12)} on ${tgt.host.name} could not be removed yet (${msg(err)}); it is removed when ${tgt.host.name} answers again`;
    }
  }

  /** Resumes the source from its own checkpoint (if it is stopped). Needs nothing but the source host. */
  private async resumeSource(src: ops.Side, sourceId: string, checkpointId: string, memoryBytes = 0): Promise<string> {
    // A checkpoint may still be under way in the daemon (the source is frozen while CRIU dumps).
    const info = await ops.waitSettled(src, sourceId);
    if (info.State.Running) {
      await ops.deleteCheckpoint(src, sourceId, checkpointId).catch(() => undefined);
      return "the source never stopped; it is still running";
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
    await ops.deleteCheckpoint(src, sourceId, checkpointId).catch(() => undefined);
    return `source resumed from its checkpoint${attempts > 1 ? ` (after ${attempts} attempts)` : ""}`;
  }

  /**
   * After a restart: resolves every item that was in flight from what the hosts show, then
   * resumes the unfinished batches. Target running → done; before the checkpoint → start over;
   * after it → resume the source from its checkpoint.
   */
  async recover(): Promise<{ resolved: number; batches: number }> {
    const batches = await db.migration.findMany({ where: { status: "running" }, include: { items: true } });
    let resolved = 0;
    for (const b of batches) {
      if (this.runs.has(b.id)) continue;
      const options = migrationOptionsSchema.parse(JSON.parse(b.options));
      for (const item of b.items) {
        const status = itemStatus(item.status);
        if (status === "pending" || TERMINAL.has(status)) continue;
        await this.resolveInterrupted(b, options, item).catch((err: unknown) => this.giveUp(item, `interrupted by a restart and could not be resolved: ${msg(err)}`));
        resolved++;
      }
      void this.start(b.id);
    }
    return { resolved, batches: batches.length };
  }

  /** An item whose run threw: resolve it from what the hosts show (as after a restart), or give up cleanly. */
  private async rescue(migration: Migration, options: MigrationOptions, item: MigrationItem, err: unknown): Promise<void> {
    console.error(`[ferry] item ${item.id} (${item.name}) hit an engine error:`, err);
    await log(item.migrationId, item.id, "error", `${item.name}: engine error: ${msg(err)}; resolving from what the hosts show`).catch(() => undefined);
    const fresh = await db.migrationItem.findUnique({ where: { id: item.id } }).catch(() => null);
    if (!fresh || TERMINAL.has(itemStatus(fresh.status)) || fresh.status === "pending") return;
    await this.resolveInterrupted(migration, options, fresh, `an engine error (${msg(err)}) interrupted this move`).catch((e: unknown) =>
      this.giveUp(fresh, `an engine error interrupted this move and it could not be resolved: ${msg(e)}`),
    );
  }

  /**
   * The last resort when an item cannot be resolved (its host is unreachable, the database failed):
   * the item ends "failed" through the state machine, with the reason and what the operator can do.
   * An item in cleanup had been verified on the target: it stays as it is for the next recovery.
   */
  private async giveUp(item: MigrationItem, reason: string): Promise<void> {
    const fresh = await db.migrationItem.findUnique({ where: { id: item.id } }).catch(() => null);
    let status = itemStatus(fresh?.status ?? item.status);
    if (TERMINAL.has(status) || status === "cleanup") return;
    if (status === "pending") status = transition(status, { type: "skip", reason });
    else {
      status = transition(status, { type: "fail", reason });
      if (status === "rolling-back") status = transition(status, { type: "rollback-failed", reason });
    }
    const cp = fresh?.checkpointId ?? item.checkpointId;
    const hint = cp ? `; if the source is stopped, resume it with: docker start --checkpoint ${cp} ${item.name}` : "";
    await updateItem(item.id, { status, error: `${reason}${hint}`, errorCode: "RECOVERY", finishedAt: new Date() }).catch((err: unknown) =>
      console.error(`[ferry] could not record the end of item ${item.id}:`, err),
    );
    await log(item.migrationId, item.id, "failed", `${item.name}: ${reason}`).catch(() => undefined);
  }

  private async resolveInterrupted(b: Migration, options: MigrationOptions, item: MigrationItem, note = "the dashboard restarted during this move"): Promise<void> {
    const [srcHost, tgtHost] = await Promise.all([
      db.host.findUniqueOrThrow({ where: { id: item.sourceHostId } }),
      db.host.findUniqueOrThrow({ where: { id: b.targetHostId } }),
    ]);
    const src = await this.open(srcHost);
    // The target may be the host that is down: the source must not wait for it.
    const tgt = await this.open(tgtHost).catch(() => null);
    // This item's helpers only: other items of other batches may be in flight on these hosts.
    const tag = `${item.migrationId}/${item.id}`;
    await Promise.all([ops.removeHelpers(src, tag), tgt && ops.removeHelpers(tgt, tag).catch(() => 0)]);
    let status = itemStatus(item.status);
    const cp = item.checkpointId ?? `ferry-${item.id}`;
    const target = tgt && item.targetContainerId ? await ops.inspectOrNull(tgt, item.targetContainerId).catch(() => null) : null;

    if (tgt && target?.State.Running && ["restoring", "verifying", "cleanup"].includes(status)) {
      // The restore happened: finish the move.
      await ops.deleteCheckpoint(tgt, target.Id, cp).catch(() => undefined);
      if (options.keepSource) await ops.deleteCheckpoint(src, item.sourceContainerId, cp).catch(() => undefined);
      else await ops.removeContainer(src, item.sourceContainerId);
      while (status !== "done") status = transition(status, { type: "advance" });
      await updateItem(item.id, { status, finishedAt: new Date(), warnings: JSON.stringify([`${note}; finished from what the hosts showed (downtime not measured)`]) });
      await log(b.id, item.id, "recovered", `${item.name}: running on ${tgt.host.name}; ${note}, finished`);
      return;
    }
    if (status === "image-sync" || status === "creating") {
      // A half-made target on a host that is down is swept when it answers again.
      if (tgt) for (const id of await ops.containersOfItem(tgt, item.id).catch(() => [])) await ops.removeContainer(tgt, id).catch(() => undefined);
      status = transition(status, { type: "requeue" });
      await updateItem(item.id, { status, targetContainerId: null });
      await log(b.id, item.id, "recovered", `${item.name}: ${note} before the checkpoint; it starts over`);
      return;
    }
    if (status === "cleanup") {
      // The move had been verified; the copy on the target stopped since. Keep the source (if it is
      // still there) for the operator and say so; never start a second copy.
      while (status !== "done") status = transition(status, { type: "advance" });
      const state = !tgt ? `${b.targetHostName} is unreachable` : target ? `${target.State.Status}, exit ${target.State.ExitCode}` : "gone";
      await updateItem(item.id, { status, finishedAt: new Date(), warnings: JSON.stringify([`${note} during cleanup; the copy on ${b.targetHostName} is not running now (${state}); the source was left as it was`]) });
      await log(b.id, item.id, "recovered", `${item.name}: ${note} during cleanup; the copy on ${b.targetHostName}: ${state}`);
      return;
    }
    // After the checkpoint: roll back (an item killed mid-rollback is already rolling back).
    if (status !== "rolling-back") status = transition(status, { type: "fail", reason: note });
    await updateItem(item.id, { status, error: `${note}; rolled back`, errorCode: "INTERRUPTED" });
    const detail = await this.resumeSource(src, item.sourceContainerId, cp, Number(item.memoryNeedBytes ?? 0));
    if (item.targetContainerId && tgt) {
      const leftover = await this.removeHalfMadeTarget(tgt, item.targetContainerId);
      if (leftover) await log(b.id, item.id, "leftover", `${item.name}: ${leftover}`);
    }
    const downtimeMs = item.checkpointAt ? Date.now() - item.checkpointAt.getTime() : null;
    await updateItem(item.id, { status: transition(status, { type: "rolled-back" }), downtimeMs, finishedAt: new Date() });
    await log(b.id, item.id, "recovered", `${item.name}: ${note}; ${detail}`);
  }
}

const g = globalThis as unknown as { __ferryEngine?: MigrationEngine };

/** The process's engine (server.ts and Next's bundles share it). */
export function engine(): MigrationEngine {
  return (g.__ferryEngine ??= new MigrationEngine());
}
