import { describe, expect, it } from "vitest";
import { CapacityLedger, defaultBudget, memoryNeed, SHIM_OVERHEAD_BYTES } from "@/lib/migration/capacity";
import { changedPaths } from "@/lib/migration/docker-ops";
import { Channel, mapLimit, Semaphore } from "@/lib/migration/semaphore";
import { evacuateRequestSchema, migrationRequestSchema, targetOf } from "@/lib/validations/migration";

const MiB = 1024 * 1024;

describe("capacity", () => {
  it("admits while the budget holds and never past it", () => {
    const l = new CapacityLedger(100 * MiB, 40 * MiB);
    expect(l.tryAdmit(30 * MiB)).toBe(true);
    expect(l.tryAdmit(30 * MiB)).toBe(true);
    expect(l.tryAdmit(1)).toBe(false); // exactly full
    expect(l.freeBytes).toBe(0);
    l.release(30 * MiB);
    expect(l.freeBytes).toBe(30 * MiB);
    expect(l.tryAdmit(31 * MiB)).toBe(false);
    expect(l.tryAdmit(-1)).toBe(false);
  });
  it("counts a container's memory plus its shim, and a share of its limit", () => {
    expect(memoryNeed(600 * 1024)).toBe(600 * 1024 + SHIM_OVERHEAD_BYTES);
    expect(memoryNeed(null)).toBe(SHIM_OVERHEAD_BYTES);
    expect(memoryNeed(1 * MiB, 512 * MiB)).toBe(Math.ceil(51.2 * MiB) + SHIM_OVERHEAD_BYTES);
    expect(defaultBudget(2048 * MiB)).toBe(Math.floor(0.8 * 2048 * MiB));
  });
  it("stops a 2 GB target well before the lab's freeze at ~140 restores", () => {
    const l = new CapacityLedger(defaultBudget(2048 * MiB), 300 * MiB);
    let n = 0;
    while (l.tryAdmit(memoryNeed(600 * 1024))) n++;
    expect(n).toBeLessThan(140);
    expect(n).toBeGreaterThan(80);
  });
});

describe("semaphore", () => {
  it("never lets more than `limit` run at once and serves in order", async () => {
    const s = new Semaphore(2);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        s.run(async () => {
          active++;
          peak = Math.max(peak, active);
          order.push(i);
          await new Promise((r) => setTimeout(r, 5));
          active--;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(s.inUse).toBe(0);
  });
  it("refuses a non-positive limit", () => expect(() => new Semaphore(0)).toThrow());
});

describe("mapLimit", () => {
  it("runs at most `limit` at once and answers in the order of its input", async () => {
    let active = 0;
    let peak = 0;
    const out = await mapLimit([30, 5, 20, 1, 10], 2, async (ms) => {
      peak = Math.max(peak, ++active);
      await new Promise((r) => setTimeout(r, ms));
      active--;
      return ms * 2;
    });
    expect(out).toEqual([60, 10, 40, 2, 20]);
    expect(peak).toBe(2);
  });
});

describe("channel (the engine's stages: preparation runs at most `capacity` ahead of the lanes)", () => {
  it("hands values over in order, holds a producer once `capacity` wait, and ends takers with null when closed", async () => {
    const c = new Channel<number>(2);
    const produced: number[] = [];
    const producer = (async () => {
      for (let i = 0; i < 5; i++) {
        await c.put(i);
        produced.push(i);
      }
      c.close();
    })();
    await new Promise((r) => setTimeout(r, 5));
    expect(produced).toEqual([0, 1]); // the third put waits: two are ready and nobody took one
    const taken: number[] = [];
    for (let v = await c.take(); v !== null; v = await c.take()) taken.push(v);
    await producer;
    expect(taken).toEqual([0, 1, 2, 3, 4]);
    expect(await c.take()).toBeNull();
  });

  it("wakes a waiting taker at once and every waiting taker when closed", async () => {
    const c = new Channel<string>(1);
    const first = c.take();
    const second = c.take();
    await c.put("a");
    expect(await first).toBe("a");
    c.close();
    expect(await second).toBeNull();
    await expect(c.put("late")).rejects.toThrow(/closed/);
  });
});

describe("changedPaths", () => {
  it("copies top-most added paths and modified leaves, not mounts or Docker-managed files", () => {
    const r = changedPaths(
      [
        { Path: "/tmp", Kind: 0 },
        { Path: "/tmp/new", Kind: 1 },
        { Path: "/tmp/new/a", Kind: 1 },
        { Path: "/etc", Kind: 0 },
        { Path: "/etc/app.conf", Kind: 0 },
        { Path: "/etc/hosts", Kind: 0 },
        { Path: "/data", Kind: 0 },
        { Path: "/data/db", Kind: 1 },
        { Path: "/old", Kind: 2 },
        { Path: "/vol/x", Kind: 1 },
      ],
      ["/vol"],
    );
    expect(r.copy).toEqual(["/data/db", "/etc/app.conf", "/tmp/new"]);
    expect(r.deleted).toEqual(["/old"]);
  });
});

describe("migration request", () => {
  it("refuses duplicates and empty batches with field paths", () => {
    const dup = migrationRequestSchema.safeParse({ targetHostId: "b", items: [{ hostId: "a", containerId: "x" }, { hostId: "a", containerId: "x" }] });
    expect(dup.success).toBe(false);
    expect(dup.error!.issues[0]!.path).toEqual(["items", 1]);
    expect(migrationRequestSchema.safeParse({ targetHostId: "b", items: [] }).success).toBe(false);
    expect(migrationRequestSchema.safeParse({ targetHostId: "b", items: [{ hostId: "a", containerId: "x; rm -rf /" }] }).success).toBe(false);
    expect(migrationRequestSchema.safeParse({ targetHostId: "b", items: [{ hostId: "a", containerId: "x" }], options: { concurrency: 0 } }).success).toBe(false);
  });
  it("takes a target per item; every item must have one, its own or the batch's", () => {
    const mixed = migrationRequestSchema.parse({ targetHostId: "b", items: [{ hostId: "a", containerId: "x" }, { hostId: "a", containerId: "y", targetHostId: "c" }] });
    expect(mixed.items.map((i) => targetOf(mixed, i))).toEqual(["b", "c"]);
    const perItem = migrationRequestSchema.parse({ items: [{ hostId: "a", containerId: "x", targetHostId: "b" }] });
    expect(targetOf(perItem, perItem.items[0]!)).toBe("b");
    const none = migrationRequestSchema.safeParse({ items: [{ hostId: "a", containerId: "x" }] });
    expect(none.error!.issues.map((i) => [i.path.join("."), i.message])).toEqual([["targetHostId", "host id is required (the batch's target, or one per item)"]]);
    const some = migrationRequestSchema.safeParse({ items: [{ hostId: "a", containerId: "x", targetHostId: "b" }, { hostId: "a", containerId: "y" }] });
    expect(some.error!.issues.map((i) => [i.path.join("."), i.message])).toEqual([["items.1.targetHostId", "no target: give this item a targetHostId, or the batch one"]]);
    expect(migrationRequestSchema.safeParse({ items: [{ hostId: "a", containerId: "x", targetHostId: "../etc" }] }).success).toBe(false);
  });
  it("an evacuation names its targets at most once, and nothing else", () => {
    expect(evacuateRequestSchema.parse({})).toEqual({ dryRun: false });
    expect(evacuateRequestSchema.safeParse({ targetHostIds: ["b", "b"] }).error!.issues[0]!.message).toBe("a host is listed twice in targetHostIds");
    expect(evacuateRequestSchema.safeParse({ targetHostIds: [] }).error!.issues[0]!.message).toMatch(/^Name at least one target host/);
    expect(evacuateRequestSchema.safeParse({ hosts: ["b"] }).error!.issues[0]!.message).toMatch(/^Unknown field\(s\): hosts/);
  });
  it("fills default options", () => {
    const ok = migrationRequestSchema.parse({ targetHostId: "b", items: [{ hostId: "a", containerId: "x" }], options: {} });
    expect(ok.options).toEqual({ keepSource: false, concurrency: expect.any(Number), nameConflict: "fail" });
  });
});
