import { describe, expect, it } from "vitest";
import { PHASES, ROLLBACK, phaseFor } from "@/lib/migration/phases";
import { ITEM_STATUSES, PHASE_NAMES, TERMINAL, transition, type ItemStatus } from "@/lib/migration/state";

/** The phase table (lib/migration/phases.ts) against the pure state machine it must follow. */
describe("the phase table", () => {
  it("walks the state machine's forward path in order, and the step after the last is done", () => {
    let status: ItemStatus = "pending";
    for (const p of PHASES) {
      status = transition(status, { type: "advance" });
      expect(p.status, `the entry for ${p.phase}`).toBe(status);
    }
    expect(transition(status, { type: "advance" })).toBe("done");
  });

  it("records each phase under its own name, once, in display order", () => {
    const names = [...PHASES.map((p) => p.phase), ROLLBACK.phase];
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(PHASE_NAMES.filter((n) => n !== "preflight"));
  });

  it("has an interrupted handler for every status an item can be found in after a crash", () => {
    const inFlight = ITEM_STATUSES.filter((s) => s !== "pending" && !TERMINAL.has(s));
    expect(inFlight.length).toBeGreaterThan(0);
    for (const s of inFlight) expect(phaseFor(s), `status ${s}`).not.toBeNull();
    expect(phaseFor("pending")).toBeNull();
    for (const s of TERMINAL) expect(phaseFor(s), `status ${s}`).toBeNull();
  });

  it("a failure from the checkpoint on leads into the rollback entry; before it, to failed", () => {
    for (const p of PHASES) {
      if (p.status === "cleanup") continue; // a verified move does not fail back (cleanup problems are warnings)
      const next = transition(p.status, { type: "fail", reason: "x" });
      const afterCheckpoint = PHASES.indexOf(p) >= PHASES.findIndex((q) => q.phase === "checkpoint");
      expect(next, p.phase).toBe(afterCheckpoint ? ROLLBACK.status : "failed");
    }
  });
});
