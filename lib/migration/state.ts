/**
 * The state machine of one migration item. Pure: no I/O, no clock. The engine asks it before
 * every move, so an item can never go from, say, "restoring" back to "checkpointing".
 *
 *   pending → image-sync → creating → checkpointing → transferring → restoring → verifying → cleanup → done
 *
 * The target container is created before the checkpoint: the source keeps running while Ferry
 * prepares, so downtime covers only checkpoint → transfer → restore → verify.
 * Before the checkpoint nothing on the source changed: a failure there ends "failed" with the
 * source untouched. From the checkpoint on, a failure goes through "rolling-back" to
 * "rolled-back" (source resumed from its own checkpoint) or, if even that fails, "failed".
 */
/** The forward path of a migration that succeeds. */
export const FORWARD = ["pending", "image-sync", "creating", "checkpointing", "transferring", "restoring", "verifying", "cleanup", "done"] as const;

export const ITEM_STATUSES = [...FORWARD, "rolling-back", "rolled-back", "skipped", "failed"] as const;

export type ItemStatus = (typeof ITEM_STATUSES)[number];

const forwardIndex = (s: ItemStatus) => (FORWARD as readonly ItemStatus[]).indexOf(s);

export const TERMINAL: ReadonlySet<ItemStatus> = new Set(["done", "rolled-back", "skipped", "failed"]);

/** States in which the source container is stopped (checkpointed) and not yet safe. */
export const SOURCE_AT_RISK: ReadonlySet<ItemStatus> = new Set(["checkpointing", "transferring", "restoring", "verifying", "rolling-back"]);

export type ItemEvent =
  | { type: "advance" } // the current phase succeeded: go to the next forward state
  | { type: "skip"; reason: string } // not started: blocked by pre-flight, capacity or cancel
  | { type: "fail"; reason: string } // a phase failed
  | { type: "requeue" } // interrupted before the checkpoint (server restart): the source is untouched, start over
  | { type: "rolled-back" } // rollback resumed the source
  | { type: "rollback-failed"; reason: string };

export class TransitionError extends Error {
  constructor(from: ItemStatus, event: ItemEvent["type"]) {
    super(`illegal transition: ${event} from ${from}`);
  }
}

/** The next status, or a TransitionError for a move the machine does not allow. */
export function transition(from: ItemStatus, event: ItemEvent): ItemStatus {
  if (TERMINAL.has(from)) throw new TransitionError(from, event.type);
  switch (event.type) {
    case "advance": {
      const i = forwardIndex(from);
      if (i < 0 || i === FORWARD.length - 1) throw new TransitionError(from, event.type);
      return FORWARD[i + 1]!;
    }
    case "skip":
      if (from !== "pending") throw new TransitionError(from, event.type);
      return "skipped";
    case "fail":
      if (from === "pending") throw new TransitionError(from, event.type);
      if (from === "rolling-back") return "failed";
      // Once the source is checkpointed, a failure must roll back; the cleanup of a verified
      // migration does not endanger it (the target runs), so a cleanup failure is a warning.
      if (SOURCE_AT_RISK.has(from)) return "rolling-back";
      if (from === "cleanup") throw new TransitionError(from, event.type);
      return "failed";
    case "requeue":
      if (from !== "image-sync" && from !== "creating") throw new TransitionError(from, event.type);
      return "pending";
    case "rolled-back":
      if (from !== "rolling-back") throw new TransitionError(from, event.type);
      return "rolled-back";
    case "rollback-failed":
      if (from !== "rolling-back") throw new TransitionError(from, event.type);
      return "failed";
  }
}

/** Phase names recorded per item, in display order (lib/migration/phases.ts runs them). */
export const PHASE_NAMES = ["preflight", "image-sync", "create", "checkpoint", "transfer", "restore", "verify", "cleanup", "rollback"] as const;
export type PhaseName = (typeof PHASE_NAMES)[number];

/** Progress of an item from 0 to 1, for progress bars. */
export function progressOf(status: ItemStatus): number {
  if (TERMINAL.has(status)) return 1;
  if (status === "rolling-back") return 0.9;
  const i = forwardIndex(status);
  return i <= 0 ? 0 : i / (FORWARD.length - 1);
}

/** A batch is recorded "running" once pre-flight has planned it (pre-flight itself writes nothing). */
export const BATCH_STATUSES = ["running", "done", "failed", "cancelled"] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];
export const BATCH_ENDED: ReadonlySet<BatchStatus> = new Set(["done", "failed", "cancelled"]);

/** A status read from the database, checked: an unknown value is a bug, not something to cast. */
export function itemStatus(value: string): ItemStatus {
  if (!(ITEM_STATUSES as readonly string[]).includes(value)) throw new Error(`unknown item status "${value}"`);
  return value as ItemStatus;
}

export function batchStatus(value: string): BatchStatus {
  if (!(BATCH_STATUSES as readonly string[]).includes(value)) throw new Error(`unknown batch status "${value}"`);
  return value as BatchStatus;
}

export const isBatchEnded = (value: string) => BATCH_ENDED.has(value as BatchStatus);

/** A finished batch's status from its items: done only when every item is done. */
export function batchOutcome(items: { status: ItemStatus }[], cancelled: boolean): BatchStatus {
  if (items.some((i) => !TERMINAL.has(i.status))) return "running";
  if (cancelled) return "cancelled";
  return items.length > 0 && items.every((i) => i.status === "done") ? "done" : "failed";
}
