import "server-only";
import type Docker from "dockerode";
import { sampleMemory } from "@/lib/docker/inspect";
import { DockerError } from "@/lib/docker/errors";
import { env } from "@/lib/env";
import { CGROUP_MOUNT, memoryFiles, memoryFromFiles } from "@/lib/migration/cgroup-memory";
import { inventory, NET_TABLES, parseNetTable, splitCatOutput, type SocketEntry, type SocketInventory } from "@/lib/migration/connections";
import type { Side } from "@/lib/migration/docker-ops";
import { runTool } from "@/lib/migration/probe";
import { mapLimit } from "@/lib/migration/semaphore";

/**
 * What the containers of one host hold, seen from the host through the Engine API alone: one
 * short run of Ferry's tool per host (no network, read-only, no capabilities) prints the files of
 * every container asked about. Sockets: /proc/<pid>/net/* (the tool in the host's PID namespace).
 * Memory: the container's cgroup files (the host's /sys/fs/cgroup mounted read-only), where
 * Docker's stats call would take a second per container; a container whose files are not where
 * Docker's layout puts them is asked of the stats call instead.
 */

export type ScanTarget = { id: string; pid?: number; cgroupParent?: string | null };
export type HostScan = { sockets: Map<string, SocketInventory>; memory: Map<string, number> };

/** Containers per run of the tool, and runs at once: the tool's many small writes reach Ferry one by one, so 400 in one run take seconds. */
const PER_RUN = 100;
const RUNS_AT_ONCE = 4;

export async function scanContainers(side: Side, containers: ScanTarget[], want: { sockets: boolean; memory: boolean }): Promise<HostScan> {
  const chunks = Array.from({ length: Math.ceil(containers.length / PER_RUN) }, (_, i) => containers.slice(i * PER_RUN, (i + 1) * PER_RUN));
  const parts = await mapLimit(chunks, RUNS_AT_ONCE, (chunk) => scanRun(side, chunk, want));
  const out: HostScan = { sockets: new Map(parts.flatMap((p) => [...p.sockets])), memory: new Map(parts.flatMap((p) => [...p.memory])) };
  const missing = want.memory ? containers.filter((c) => !out.memory.has(c.id)).map((c) => c.id) : [];
  if (missing.length) for (const [id, bytes] of await sampleMemory(side.host, missing, env().FERRY_DOCKER_TIMEOUT_MS)) out.memory.set(id, bytes);
  return out;
}

async function scanRun(side: Side, containers: ScanTarget[], want: { sockets: boolean; memory: boolean }): Promise<HostScan> {
  const out: HostScan = { sockets: new Map(), memory: new Map() };
  const withPid = want.sockets ? containers.filter((c) => (c.pid ?? 0) > 0) : [];
  const mem = want.memory ? containers.map((c) => ({ id: c.id, files: memoryFiles(side.cgroup, c.id, c.cgroupParent) })) : [];
  const paths = [...withPid.flatMap((c) => NET_TABLES.map((t) => `/proc/${c.pid}/net/${t.file}`)), ...mem.flatMap((m) => [m.files.usage, m.files.stat])];
  if (paths.length) {
    const hostConfig: Docker.HostConfig = { ReadonlyRootfs: true, CapDrop: ["ALL"] };
    if (withPid.length) hostConfig.PidMode = "host";
    if (mem.length) hostConfig.Mounts = [{ Type: "bind", Source: "/sys/fs/cgroup", Target: CGROUP_MOUNT, ReadOnly: true }];
    const run = await runTool(side, ["cat", ...paths], want.sockets ? "socket-scan" : "memory-scan", hostConfig);
    if (run.exitCode !== 0 && !run.stdout.includes("==> ")) throw new DockerError("DOCKER", `container scan failed (exit ${run.exitCode}): ${run.stderr.slice(0, 200)}`, side.host.name);
    const files = splitCatOutput(run.stdout);
    for (const c of withPid) {
      const entries: SocketEntry[] = [];
      let readable = false;
      for (const t of NET_TABLES) {
        const text = files.get(`/proc/${c.pid}/net/${t.file}`);
        if (text === undefined || text === null) continue; // IPv6 off, or the process just ended
        readable = true;
        entries.push(...parseNetTable(t.proto, text));
      }
      if (readable) out.sockets.set(c.id, inventory(entries));
    }
    for (const m of mem) {
      const bytes = memoryFromFiles(files.get(m.files.usage), files.get(m.files.stat));
      if (bytes !== null) out.memory.set(m.id, bytes);
    }
  }
  return out;
}
