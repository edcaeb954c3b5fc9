import { describe, expect, it } from "vitest";
import { batchOutcome, FORWARD, ITEM_STATUSES, progressOf, TERMINAL, transition, TransitionError, type ItemEvent, type ItemStatus } from "@/lib/migration/state";

const advance: ItemEvent = { type: "advance" };
const fail: ItemEvent = { type: "fail", reason: "x" };

describe("item state machine", () => {
  it("walks the forward path from pending to done", () => {
    let s: ItemStatus = "pending";
    const seen: ItemStatus[] = [s];
    while (s !== "done") seen.push((s = transition(s, advance)));
    expect(seen).toEqual([...FORWARD]);
  });

  it("fails without rollback before the checkpoint (source untouched)", () => {
    expect(transition("image-sync", fail)).toBe("failed");
    expect(transition("creating", fail)).toBe("failed");
  });

  it("rolls back after the checkpoint", () => {
    for (const s of ["checkpointing", "transferring", "restoring", "verifying"] as const) expect(transition(s, fail)).toBe("rolling-back");
    expect(transition("rolling-back", { type: "rolled-back" })).toBe("rolled-back");
    expect(transition("rolling-back", { type: "rollback-failed", reason: "y" })).toBe("failed");
    expect(transition("rolling-back", fail)).toBe("failed");
  });

  it("skips only what has not started", () => {
    expect(transition("pending", { type: "skip", reason: "budget" })).toBe("skipped");
    expect(() => transition("checkpointing", { type: "skip", reason: "late" })).toThrow(TransitionError);
  });

  it("requeues only items interrupted before the checkpoint", () => {
    expect(transition("image-sync", { type: "requeue" })).toBe("pending");
    expect(transition("creating", { type: "requeue" })).toBe("pending");
    expect(() => transition("transferring", { type: "requeue" })).toThrow(TransitionError);
  });

  it("refuses every move out of a terminal state and illegal moves elsewhere", () => {
    for (const s of TERMINAL) for (const e of [advance, fail, { type: "rolled-back" } as ItemEvent]) expect(() => transition(s, e)).toThrow(TransitionError);
    expect(() => transition("pending", fail)).toThrow(/illegal transition: fail from pending/);
    expect(() => transition("cleanup", fail)).toThrow(TransitionError);
    expect(() => transition("rolling-back", advance)).toThrow(TransitionError);
    expect(() => transition("restoring", { type: "rolled-back" })).toThrow(TransitionError);
  });

  it("maps every status to a progress between 0 and 1", () => {
    for (const s of ITEM_STATUSES) {
      expect(progressOf(s)).toBeGreaterThanOrEqual(0);
      expect(progressOf(s)).toBeLessThanOrEqual(1);
    }
    expect(progressOf("pending")).toBe(0);
    expect(progressOf("done")).toBe(1);
  });

  it("derives the batch outcome", () => {
    expect(batchOutcome([{ status: "done" }, { status: "restoring" }], false)).toBe("running");
    expect(batchOutcome([{ status: "done" }, { status: "done" }], false)).toBe("done");
    expect(batchOutcome([{ status: "done" }, { status: "rolled-back" }], false)).toBe("failed");
    expect(batchOutcome([{ status: "done" }, { status: "skipped" }], true)).toBe("cancelled");
    expect(batchOutcome([], false)).toBe("failed");
  });
});
