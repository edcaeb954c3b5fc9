import { describe, expect, it } from "vitest";
import { leftovers } from "@/lib/migration/sweep";
import type { ItemStatus } from "@/lib/migration/state";

/** What the host sweep removes after a host came back: pure decisions from a listing and the items. */

const NOW = 1_800_000_000;
const c = (id: string, labels: Record<string, string>, state = "created", ageS = 30) => ({ Id: id, Names: [`/${id}`], Labels: labels, Created: NOW - ageS, State: state });
const items = (list: [string, ItemStatus, string | null][]) => new Map(list.map(([id, status, targetContainerId]) => [id, { id, status, targetContainerId }]));

describe("the host sweep", () => {
  it("removes half-made targets of moves that ended without them, and keeps everything else", () => {
    const known = items([
      ["rb", "rolled-back", "t-rb"],
      ["fl", "failed", "t-fl"],
      ["ok", "done", "t-ok"],
      ["fly", "transferring", "t-fly"],
    ]);
    const listing = [
      c("t-rb", { "ferry.migration.item": "rb" }, "running"), // even running: the source was resumed, it is the truth
      c("t-fl", { "ferry.migration.item": "fl" }),
      c("t-ok", { "ferry.migration.item": "ok" }, "running"), // the moved container itself
      c("t-ok-dup", { "ferry.migration.item": "ok" }, "exited"), // a stray second copy, stopped
      c("t-ok-dup-running", { "ferry.migration.item": "ok" }, "running"), // running: never removed by a sweep
      c("t-fly", { "ferry.migration.item": "fly" }), // in flight
      c("t-unknown", { "ferry.migration.item": "other-ferry" }), // not ours
      c("user", {}, "running"),
    ];
    expect(leftovers(listing, known, NOW).map((d) => d.id)).toEqual(["t-rb", "t-fl", "t-ok-dup"]);
  });

  it("removes helpers of finished moves, and tools or unknown helpers only once they are old", () => {
    const known = items([
      ["done1", "done", "x"],
      ["live", "restoring", "y"],
    ]);
    const listing = [
      c("h-done", { "ferry.helper": "m1/done1" }),
      c("h-live", { "ferry.helper": "m1/live" }),
      c("h-unknown-new", { "ferry.helper": "m9/zzz" }, "created", 60),
      c("h-unknown-old", { "ferry.helper": "m9/zzz" }, "created", 3600),
      c("probe-new", { "ferry.helper": "criu-probe" }, "running", 5),
      c("probe-old", { "ferry.helper": "criu-probe" }, "running", 3600),
    ];
    expect(leftovers(listing, known, NOW).map((d) => d.id)).toEqual(["h-done", "h-unknown-old", "probe-old"]);
  });
});
