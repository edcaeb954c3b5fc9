import "server-only";
import { db } from "@/lib/db";
import { env } from "@/lib/env";
import type { Host, Migration, MigrationItem } from "@/lib/generated/prisma/client";
import { toDockerError } from "@/lib/docker/errors";
import { formatBytes } from "@/lib/format";
import { CapacityLedger, HOST_CONCURRENCY_DEFAULT } from "@/lib/migration/capacity";
import * as ops from "@/lib/migration/docker-ops";
import { MigrationError } from "@/lib/migration/errors";
import { HelperPool, poolTag } from "@/lib/migration/helper-pool";
import { CONTAINERD_TMP } from "@/lib/migration/restore-copies";
import { PHASES, ROLLBACK, phaseFor, removeHalfMadeTarget, type BatchRun, type EngineHooks, type Move } from "@/lib/migration/phases";
import { hostBudget, targetUsage } from "@/lib/migration/preflight";
import { advance, closePhase, endPhase, journal, setStatus, startPhase, updateBatch, type PhaseEnd } from "@/lib/migration/record";
import { Channel, Semaphore } from "@/lib/migration/semaphore";
import { batchOutcome, isBatchEnded, itemStatus, SOURCE_AT_RISK, TERMINAL, type ItemStatus, type PhaseName } from "@/lib/migration/state";
import { getIo } from "@/lib/realtime/emitter";
import { ROOMS } from "@/lib/realtime/protocol";
import { migrationOptionsSchema, type MigrationOptions } from "@/lib/validations/migration";

export type { EngineHooks };

/**
 * The engine: the only code that talks to Docker during a migration. It runs in the server
 * process, outside any request. Each batch: items admitted in order while they fit their target's
 * memory budget (each item has its own target; an evacuation spreads over several), at most
 * `concurrency` in flight per batch and per host's limit. Each item
 * runs the phase table of lib/migration/phases.ts and either ends with its container running on the
 * target, or with the source resumed from its own checkpoint.
 */

/** A target of the batch, opened once: its daemon and its memory ledger (shared with other batches). */
type TargetRun = { side: ops.Side; ledger: CapacityLedger };

type BatchCtx = BatchRun & {
  /** Every host of the batch, source or target, opened once (see `side`). */
  sides: Map<string, Promise<ops.Side>>;
  targets: Map<string, Promise<TargetRun>>;
  /** Targets whose shared ledger this batch holds (given back when the batch ends). */
  held: Set<string>;
  hosts: Map<string, Host>;
  pools: Map<string, HelperPool>;
  /** CRIU's phases, each at most ceil(concurrency / 2) at once in the batch (see `pipeline`). */
  gates: Map<PhaseName, Semaphore>;
};

/** An admitted item on its way through the pipeline: what must be given back when it ends. */
type Ticket = { m: Move; need: number; key: string; ledger: CapacityLedger };

/** Why an item of a cancelled batch did not move (prepared or not, nothing of it had stopped). */
const CANCELLED = "cancelled before it started; still running on its source";

/**
 * The phases that are CRIU's work (dumping, restoring): each is gated so that two containers of a
 * batch are not dumped (or restored) at the same moment while the other kind waits. With
 * concurrency 2, one container is restored while the next one is dumped and carried: the two
 * heavy steps run side by side on two cores instead of two of the same kind fighting for them.
 */
const GATED: readonly PhaseName[] = ["checkpoint", "restore"];

/** Where the phase table splits: preparation, then the downtime lane, then cleanup. */
const DOWNTIME_FROM = PHASES.findIndex((p) => p.phase === "checkpoint");
const CLEANUP_FROM = PHASES.findIndex((p) => p.phase === "cleanup");

/** Live bytes of transfers, announced at most four times a second per item (not stored: the phase's row gets the total). */
function progressAnnouncer(): BatchRun["progress"] {
  const last = new Map<string, number>();
  return (item, bytes, ms) => {
    const now = Date.now();
    if (now - (last.get(item.id) ?? 0) < 250) return;
    last.set(item.id, now);
    getIo()?.to(ROOMS.migration(item.migrationId)).emit("migration:progress", { migrationId: item.migrationId, itemId: item.id, bytes, bytesPerSecond: ms > 0 ? Math.round((bytes * 1000) / ms) : 0 });
  };
}

const toSide = (h: Host): ops.HostSide => ({ id: h.id, name: h.name, endpoint: h.endpoint, tlsCa: h.tlsCa, tlsCert: h.tlsCert, tlsKey: h.tlsKey, sshKey: h.sshKey, sshHostKey: h.sshHostKey });
const msg = (err: unknown) => (err instanceof Error ? err.message : String(err));
const warningsOf = (m: Move) => (m.warnings.length ? JSON.stringify(m.warnings) : null);

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
        journal({ migrationId }, `engine error: ${msg(err)}`);
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
    journal({ migrationId }, "cancel requested: no further containers start; those in flight finish or roll back");
  }

  private async run(migrationId: string): Promise<void> {
    const migration = await db.migration.findUniqueOrThrow({ where: { id: migrationId } });
    if (isBatchEnded(migration.status)) return;
    if (migration.cancelRequested) this.cancelled.add(migrationId);
    const options = migrationOptionsSchema.parse(JSON.parse(migration.options));
    await updateBatch(migrationId, { status: "running", ...(migration.startedAt ? {} : { startedAt: new Date() }) });

    const pending = await db.migrationItem.findMany({ where: { migrationId, status: "pending" }, orderBy: { seq: "asc" } });
    if (pending.length) {
      const ctx = await this.context(migration, options);
      try {
        journal({ migrationId }, `${pending.length} container(s) to ${migration.targetHostName}, ${options.concurrency} at a time`);
        await this.pipeline(ctx, pending);
      } finally {
        for (const id of ctx.held) this.releaseLedger(id);
        await Promise.all([...ctx.pools.values()].map((p) => p.close()));
        for (const { side, copies } of ctx.pools.values()) {
          const { dropped, bytes, failed } = copies.total;
          if (dropped) journal({ migrationId }, `removed ${dropped} restored checkpoint copies (${formatBytes(bytes)}) that containerd left in ${side.host.name}'s ${CONTAINERD_TMP}`);
          for (const problem of [...copies.problems, ...failed.map((f) => `a restored checkpoint copy in ${side.host.name}'s ${CONTAINERD_TMP} could not be removed: ${f}`)]) journal({ migrationId }, problem);
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
    journal({ migrationId }, `batch ${status}`);
  }

  private async context(migration: Migration, options: MigrationOptions): Promise<BatchCtx> {
    const hosts = new Map((await db.host.findMany()).map((h) => [h.id, h]));
    const pools = new Map<string, HelperPool>();
    const helpers = (side: ops.Side) => {
      let pool = pools.get(side.host.id);
      if (!pool) pools.set(side.host.id, (pool = new HelperPool(side, poolTag(migration.id), options.concurrency)));
      return pool;
    };
    const perPhase = Math.ceil(options.concurrency / 2);
    const gates = new Map<PhaseName, Semaphore>(GATED.map((p) => [p, new Semaphore(perPhase)]));
    return { migration, options, sides: new Map(), targets: new Map(), held: new Set(), images: new Map(), hosts, pools, helpers, gates, hooks: this.hooks, progress: progressAnnouncer() };
  }

  /**
   * A host of the batch, opened once whatever its role (a host may be one item's source and
   * another's target): helpers a previous run of this batch left there are removed then (the
   * dashboard died mid-batch), never again once this run's pool may be using it. A host that does
   * not answer stays failed for the batch: its other items are skipped at once, not after a
   * timeout each.
   */
  private side(ctx: BatchCtx, hostId: string, role: "source" | "target"): Promise<ops.Side> {
    let s = ctx.sides.get(hostId);
    if (!s) {
      const host = ctx.hosts.get(hostId);
      s = host
        ? this.open(host).then(async (side) => {
            await ops.removeHelpers(side, poolTag(ctx.migration.id));
            return side;
          })
        : Promise.reject(new Error(`${role} host ${hostId} is no longer registered`));
      ctx.sides.set(hostId, s);
    }
    return s;
  }

  /** A target: its side and its shared memory ledger, taken the first time an item goes there. */
  private target(ctx: BatchCtx, hostId: string): Promise<TargetRun> {
    let t = ctx.targets.get(hostId);
    if (!t) {
      t = this.side(ctx, hostId, "target").then(async (side) => {
        const host = ctx.hosts.get(hostId)!;
        const ledger = await this.ledgerOf(host, side);
        ctx.held.add(hostId);
        journal({ migrationId: ctx.migration.id }, `target ${host.name}: budget ${formatBytes(ledger.budgetBytes)}, ${formatBytes(ledger.committedBytes)} in use or reserved`);
        return { side, ledger };
      });
      ctx.targets.set(hostId, t);
    }
    return t;
  }

  private async skip(item: MigrationItem, reason: string): Promise<void> {
    await setStatus(item.id, itemStatus(item.status), { type: "skip", reason }, { error: reason, errorCode: "SKIPPED", finishedAt: new Date() });
    journal(item, `skipped: ${reason}`);
  }

  /**
   * The batch as a pipeline of three stages. One worker prepares items in order (admission,
   * image sync, target created) and keeps at most `concurrency` of them ready; `concurrency`
   * lanes take ready items through checkpoint → transfer → restore → verify, the downtime, with
   * nothing else of theirs in the way; one worker cleans up behind them. Preparation and cleanup
   * are the work that can wait, so there is one of each: the CPU goes to containers that are down.
   */
  private async pipeline(ctx: BatchCtx, pending: MigrationItem[]): Promise<void> {
    const { migration, options } = ctx;
    const lanes = Math.min(options.concurrency, pending.length);
    const ready = new Channel<Ticket>(lanes);
    const behind = new Channel<Ticket>(Number.MAX_SAFE_INTEGER);
    // An unexpected throw (a database write, a bug) must not stop the other stages or leave an
    // item half-way: it is resolved from what the hosts show.
    const guard = <T>(item: MigrationItem, p: Promise<T>) => p.catch((err: unknown) => this.rescue(migration, options, item, err).then(() => null));

    const prepare = (async () => {
      for (const item of pending) {
        const t = await guard(item, this.prepare(ctx, item));
        if (t) await ready.put(t);
      }
      ready.close();
    })();
    const lane = async () => {
      for (let t = await ready.take(); t; t = await ready.take()) {
        const ticket = t;
        if (await guard(ticket.m.item, this.downtime(ctx, ticket))) await behind.put(ticket);
      }
    };
    const cleanup = (async () => {
      for (let t = await behind.take(); t; t = await behind.take()) {
        const ticket = t;
        await guard(ticket.m.item, this.finish(ticket));
      }
    })();
    await Promise.all([prepare, ...Array.from({ length: lanes }, lane)]);
    behind.close();
    await cleanup;
  }

  /** Gives back what an admitted item held, once, when its move ends (in any stage). */
  private end(t: Ticket): void {
    if (t.m.status !== "done") t.ledger.release(t.need);
    this.locks.delete(t.key);
  }

  /**
   * Admission and preparation: the checks that may skip an item, then the phases before the
   * checkpoint. Returns the ticket of an item ready for its checkpoint, or null (it ended here).
   */
  private async prepare(ctx: BatchCtx, item: MigrationItem): Promise<Ticket | null> {
    if (this.cancelled.has(item.migrationId)) return this.skip(item, CANCELLED).then(() => null);
    const key = `${item.sourceHostId}/${item.sourceContainerId}`;
    if (this.locks.has(key)) return this.skip(item, "another migration of this container is in flight").then(() => null);
    let src: ops.Side;
    try {
      src = await this.side(ctx, item.sourceHostId, "source");
    } catch (err) {
      return this.skip(item, `source ${item.sourceHostName} unreachable: ${toDockerError(err).message}`).then(() => null);
    }
    const targetId = item.targetHostId ?? ctx.migration.targetHostId;
    if (!targetId) return this.skip(item, "no target host; still running on its source").then(() => null);
    const targetName = item.targetHostName ?? ctx.migration.targetHostName;
    // Maintenance is read at admission: a host put into maintenance mid-batch takes nothing more.
    const fresh = await db.host.findUnique({ where: { id: targetId }, select: { maintenance: true } });
    if (fresh?.maintenance) return this.skip(item, `${targetName} is in maintenance: it takes no new containers; still running on its source`).then(() => null);
    let target: TargetRun;
    try {
      target = await this.target(ctx, targetId);
    } catch (err) {
      return this.skip(item, `target ${targetName} unreachable: ${toDockerError(err).message}; still running on its source`).then(() => null);
    }
    const { ledger } = target;
    const need = Number(item.memoryNeedBytes ?? 0);
    if (!ledger.tryAdmit(need)) {
      await this.skip(item, `does not fit ${targetName}'s memory budget (needs ${formatBytes(need)}, ${formatBytes(ledger.freeBytes)} of ${formatBytes(ledger.budgetBytes)} free); still running on its source`);
      return null;
    }
    this.locks.add(key);
    const t: Ticket = {
      need,
      key,
      ledger,
      m: {
        batch: ctx,
        item,
        src,
        tgt: target.side,
        status: itemStatus(item.status),
        checkpointId: `ferry-${item.id}`,
        warnings: item.warnings ? (JSON.parse(item.warnings) as string[]) : [],
      },
    };
    let ready = false;
    try {
      ready = await this.step(t.m, 0, DOWNTIME_FROM);
      return ready ? t : null;
    } finally {
      if (!ready) this.end(t);
    }
  }

  /** The downtime: checkpoint → transfer → restore → verify, within both hosts' limits. True when verified. */
  private async downtime(ctx: BatchCtx, t: Ticket): Promise<boolean> {
    let verified = false;
    try {
      if (this.cancelled.has(t.m.item.migrationId)) {
        await this.unprepare(t.m);
        return false;
      }
      const host = (id: string) => ctx.hosts.get(id) ?? { id, maxConcurrency: null };
      const releaseTgt = await this.slotOf(host(t.m.tgt.host.id)).acquire();
      const releaseSrc = await this.slotOf(host(t.m.item.sourceHostId)).acquire();
      try {
        verified = await this.step(t.m, DOWNTIME_FROM, CLEANUP_FROM, ctx.gates);
      } finally {
        releaseSrc();
        releaseTgt();
      }
      return verified;
    } finally {
      if (!verified) this.end(t);
    }
  }

  /** Cleanup, and the item is done. */
  private async finish(t: Ticket): Promise<void> {
    const { m } = t;
    try {
      if (!(await this.step(m, CLEANUP_FROM, PHASES.length))) return;
      m.status = await setStatus(m.item.id, m.status, { type: "advance" }, { finishedAt: new Date(), warnings: warningsOf(m) });
      journal(m.item, `running on ${m.tgt.host.name}, ${m.downtimeMs} ms of downtime`);
    } finally {
      this.end(t);
    }
  }

  /** A prepared item whose batch was cancelled before its checkpoint: its target goes, its source stays. */
  private async unprepare(m: Move): Promise<void> {
    const leftover = m.targetId ? await removeHalfMadeTarget(m.tgt, m.targetId) : null;
    if (leftover) m.warnings.push(leftover);
    m.status = await setStatus(m.item.id, m.status, { type: "requeue" }, { targetContainerId: null });
    const reason = CANCELLED;
    m.status = await setStatus(m.item.id, m.status, { type: "skip", reason }, { error: reason, errorCode: "SKIPPED", finishedAt: new Date(), warnings: warningsOf(m) });
    journal(m.item, `skipped: ${reason}`);
  }

  /**
   * Runs phases [from, to) of the table. True when they all succeeded; false when one failed and
   * the item was resolved by `fail` (the source untouched, or rolled back).
   */
  private async step(m: Move, from: number, to: number, gates?: Map<PhaseName, Semaphore>): Promise<boolean> {
    let current: PhaseName = PHASES[from]!.phase;
    // A phase's end is written with the next phase's start (one commit), or at the stage's end.
    let ended: PhaseEnd | undefined;
    try {
      for (const p of PHASES.slice(from, to)) {
        current = p.phase;
        // A gated phase starts (and is recorded as started) only once it has its turn.
        const release = await gates?.get(p.phase)?.acquire();
        try {
          const next = await advance(m.item.id, m.status, { type: "advance" }, p.enter?.(m), { end: ended, start: p.phase });
          ended = undefined;
          m.status = next.status;
          ended = await this.runPhase(m, p, next.phaseId!);
        } finally {
          release?.();
        }
        await this.hooks.afterPhase?.({ item: m.item, phase: p.phase });
      }
      if (ended) await closePhase(ended);
      return true;
    } catch (err) {
      // A phase that ended but whose row was not written yet (its successor's start failed).
      if (ended) await closePhase(ended).catch(() => undefined);
      await this.fail(m, MigrationError.wrap(current, err));
      return false;
    }
  }

  /** One phase's step; its row's end (written with the next step's start), or the row ended failed and the error thrown. */
  private async runPhase(m: Move, p: (typeof PHASES)[number], phaseId: string): Promise<PhaseEnd> {
    await this.hooks.beforePhase?.({ item: m.item, phase: p.phase, source: m.src, target: m.tgt, targetContainerId: m.targetId, checkpointId: m.checkpointId });
    try {
      return { phaseId, ok: true, ...p.describe(m, await p.run(m)) };
    } catch (err) {
      const e = MigrationError.wrap(p.phase, err);
      await endPhase(phaseId, false, e.message);
      throw e;
    }
  }

  /** Before the checkpoint: clean up, source untouched. After: roll back to the source's checkpoint. */
  private async fail(m: Move, e: MigrationError): Promise<ItemStatus> {
    const { item } = m;
    // Not a failure of the move: the target had been verified (cleanup), or the item never
    // started. What the hosts show resolves it (the caller's rescue).
    if (m.status === "cleanup" || m.status === "pending") throw e;
    if (!SOURCE_AT_RISK.has(m.status)) {
      const leftover = m.targetId ? await removeHalfMadeTarget(m.tgt, m.targetId) : null;
      if (leftover) m.warnings.push(leftover);
      const error = `${e.message} (the source was not touched and is still running)`;
      m.status = await setStatus(item.id, m.status, { type: "fail", reason: e.message }, { error, errorCode: e.code, finishedAt: new Date(), warnings: warningsOf(m) });
      journal(item, error);
      return m.status;
    }
    m.status = await setStatus(item.id, m.status, { type: "fail", reason: e.message }, { error: e.message, errorCode: e.code, warnings: warningsOf(m) });
    journal(item, `${e.message}; rolling back`);
    const phaseId = await startPhase(item.id, ROLLBACK.phase);
    await this.hooks.beforePhase?.({ item, phase: ROLLBACK.phase, source: m.src, target: m.tgt, targetContainerId: m.targetId, checkpointId: m.checkpointId });
    try {
      const detail = await ROLLBACK.run(m);
      await endPhase(phaseId, true, detail);
      const downtimeMs = m.checkpointAt ? Date.now() - m.checkpointAt.getTime() : null;
      m.status = await setStatus(item.id, m.status, { type: "rolled-back" }, { downtimeMs, finishedAt: new Date(), warnings: warningsOf(m) });
      journal(item, detail);
    } catch (rbErr) {
      const restarted = /started again from scratch/.test(msg(rbErr));
      const reason = restarted
        ? `rollback incomplete: ${msg(rbErr)}`
        : `rollback failed: ${msg(rbErr)}. The checkpoint ${m.checkpointId} is kept on ${m.src.host.name}; resume with: docker start --checkpoint ${m.checkpointId} ${item.name}`;
      await endPhase(phaseId, false, reason);
      m.status = await setStatus(item.id, m.status, { type: "rollback-failed", reason }, { error: `${e.message}; ${reason}`, finishedAt: new Date(), warnings: warningsOf(m) });
      journal(item, reason);
    }
    return m.status;
  }

  /**
   * After a restart: resolves every item that was in flight from what the hosts show, then
   * resumes the unfinished batches. Each item is resolved by the `interrupted` handler of the
   * phase it was in (lib/migration/phases.ts).
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
    try {
      const fresh = await db.migrationItem.findUniqueOrThrow({ where: { id: item.id } });
      let status = itemStatus(fresh.status);
      if (TERMINAL.has(status) || status === "cleanup") return;
      const cp = fresh.checkpointId;
      const hint = cp ? `; if the source is stopped, resume it with: docker start --checkpoint ${cp} ${item.name}` : "";
      const data = { error: `${reason}${hint}`, errorCode: "RECOVERY", finishedAt: new Date() };
      if (status === "pending") await setStatus(item.id, status, { type: "skip", reason }, data);
      else {
        if (status !== "rolling-back" && SOURCE_AT_RISK.has(status)) status = await setStatus(item.id, status, { type: "fail", reason });
        await setStatus(item.id, status, status === "rolling-back" ? { type: "rollback-failed", reason } : { type: "fail", reason }, data);
      }
      journal(item, reason);
    } catch (err) {
      console.error(`[ferry] could not record the end of item ${item.id}:`, err);
    }
  }

  /** Resolves an item found in flight by the `interrupted` handler of its phase. */
  private async resolveInterrupted(b: Migration, options: MigrationOptions, item: MigrationItem, note = "the dashboard restarted during this move"): Promise<void> {
    const status = itemStatus(item.status);
    const entry = phaseFor(status);
    if (!entry) throw new Error(`an item in "${status}" is not in flight`);
    const [srcHost, tgtHost] = await Promise.all([
      db.host.findUniqueOrThrow({ where: { id: item.sourceHostId } }),
      db.host.findUniqueOrThrow({ where: { id: (item.targetHostId ?? b.targetHostId)! } }),
    ]);
    const src = await this.open(srcHost);
    // The target may be the host that is down: the source must not wait for it.
    const tgt = await this.open(tgtHost).catch(() => null);
    // This item's helpers only: other items of other batches may be in flight on these hosts.
    const tag = `${item.migrationId}/${item.id}`;
    await Promise.all([ops.removeHelpers(src, tag), tgt && ops.removeHelpers(tgt, tag).catch(() => 0)]);
    const target = tgt && item.targetContainerId ? await ops.inspectOrNull(tgt, item.targetContainerId).catch(() => null) : null;
    await entry.interrupted({ batch: b, options, item, status, src, tgt, target, note });
  }
}

const g = globalThis as unknown as { __ferryEngine?: MigrationEngine };

/** The process's engine (server.ts and Next's bundles share it). */
export function engine(): MigrationEngine {
  return (g.__ferryEngine ??= new MigrationEngine());
}
