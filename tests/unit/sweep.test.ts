import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { oneFileTar } from "@/lib/migration/tar";
import { describe, expect, it } from "vitest";
import { leftovers } from "@/lib/migration/sweep";
import { parseLeftovers, withLeftovers, withoutLeftovers } from "@/lib/migration/leftovers";
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

  it("keeps a batch's helper pool while the batch runs, however old, and removes it once the batch ended", () => {
    const batches = new Map([
      ["running-batch", "running"],
      ["ended-batch", "done"],
    ]);
    const listing = [
      c("pool-running", { "ferry.helper": "running-batch/pool" }, "created", 3600),
      c("pool-ended", { "ferry.helper": "ended-batch/pool" }, "created", 5),
      c("pool-unknown-new", { "ferry.helper": "gone-batch/pool" }, "created", 60),
      c("pool-unknown-old", { "ferry.helper": "gone-batch/pool" }, "created", 3600),
    ];
    expect(leftovers(listing, items([]), NOW, batches).map((d) => d.id)).toEqual(["pool-ended", "pool-unknown-old"]);
  });
});

describe("recorded leftovers", () => {
  const cp = { kind: "checkpoint" as const, hostId: "hb", containerId: "t1", checkpointId: "ferry-i1" };
  const src = { kind: "stopped-source" as const, hostId: "ha", containerId: "s1", name: "web" };

  it("are kept once each, and taken off when removed; an empty list is no list", () => {
    const one = withLeftovers(null, [cp]);
    expect(parseLeftovers(one)).toEqual([cp]);
    const two = withLeftovers(one, [cp, src]);
    expect(parseLeftovers(two)).toEqual([cp, src]);
    expect(parseLeftovers(withoutLeftovers(two, [cp]))).toEqual([src]);
    expect(withoutLeftovers(two, [cp, src])).toBeNull();
    expect(withLeftovers(null, [])).toBeNull();
  });

  it("a checkpoint of another container or name is another leftover", () => {
    const list = withLeftovers(withLeftovers(null, [cp]), [{ ...cp, checkpointId: "ferry-i2" }, { ...cp, containerId: "t2" }]);
    expect(parseLeftovers(list)).toHaveLength(3);
  });

  it("ignores what it cannot read rather than acting on it", () => {
    expect(parseLeftovers('[{"kind":"volume","hostId":"x"}]')).toEqual([]);
    expect(parseLeftovers(null)).toEqual([]);
  });
});

describe("the one-file archive Ferry writes into a checkpoint", () => {
  it("is a tar that tar itself reads back, byte for byte", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-tar-"));
    try {
      const body = Buffer.from("written by Ferry so that containerd sees a new digest\n");
      fs.writeFileSync(path.join(dir, "a.tar"), oneFileTar("ferry-cp/ferry-restore-1", body));
      expect(execFileSync("tar", ["-tf", path.join(dir, "a.tar")], { encoding: "utf8" }).trim()).toBe("ferry-cp/ferry-restore-1");
      execFileSync("tar", ["-xf", path.join(dir, "a.tar"), "-C", dir]);
      expect(fs.readFileSync(path.join(dir, "ferry-cp/ferry-restore-1"))).toEqual(body);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
