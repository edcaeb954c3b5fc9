import { describe, expect, it } from "vitest";
import { memoryFiles, memoryFromFiles } from "@/lib/migration/cgroup-memory";

describe("cgroup memory files", () => {
  it("finds the files of each driver and cgroup version", () => {
    expect(memoryFiles({ driver: "cgroupfs", version: "1" }, "abc")).toEqual({
      usage: "/ferry-cgroup/memory/docker/abc/memory.usage_in_bytes",
      stat: "/ferry-cgroup/memory/docker/abc/memory.stat",
    });
    expect(memoryFiles({ driver: "cgroupfs", version: "2" }, "abc", "/lab/")).toEqual({ usage: "/ferry-cgroup/lab/abc/memory.current", stat: "/ferry-cgroup/lab/abc/memory.stat" });
    expect(memoryFiles({ driver: "systemd", version: "2" }, "abc").usage).toBe("/ferry-cgroup/system.slice/docker-abc.scope/memory.current");
  });

  it("counts use minus the inactive page cache, as docker stats does", () => {
    expect(memoryFromFiles("10485760\n", "cache 4096\ntotal_inactive_file 1048576\n")).toBe(9437184);
    expect(memoryFromFiles("8192\n", "anon 4096\ninactive_file 4096\n")).toBe(4096);
    expect(memoryFromFiles("100\n", "total_inactive_file 500\n")).toBe(0);
  });

  it("answers null for a file that is missing or not a number (then Docker's stats call is asked)", () => {
    expect(memoryFromFiles(null, "x 1")).toBeNull();
    expect(memoryFromFiles("12", null)).toBeNull();
    expect(memoryFromFiles("", "x 1")).toBeNull();
    expect(memoryFromFiles("max", "x 1")).toBeNull();
  });
});
