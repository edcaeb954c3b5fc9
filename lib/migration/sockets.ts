import "server-only";
import type Docker from "dockerode";
import { DockerError } from "@/lib/docker/errors";
import type { Side } from "@/lib/migration/docker-ops";
import { inventory, NET_TABLES, parseNetTable, splitCatOutput, type SocketEntry, type SocketInventory } from "@/lib/migration/connections";
import { runTool } from "@/lib/migration/probe";

/**
 * A container's sockets, seen from its host through the Engine API alone: one short-lived helper
 * per host (host PID namespace, no network, read-only) prints /proc/<pid>/net/* of every
 * container asked about. Closing a container's external connections runs the helper inside that
 * container's network namespace with NET_ADMIN (SOCK_DESTROY, like `ss -K`).
 */

/** Socket inventories of running containers on one host, keyed by container id. */
export async function scanSockets(side: Side, containers: { id: string; pid: number }[]): Promise<Map<string, SocketInventory>> {
  const result = new Map<string, SocketInventory>();
  const withPid = containers.filter((c) => c.pid > 0);
  if (!withPid.length) return result;
  const paths = withPid.flatMap((c) => NET_TABLES.map((t) => `/proc/${c.pid}/net/${t.file}`));
  const run = await runTool(side, ["cat", ...paths], "socket-scan", { PidMode: "host", ReadonlyRootfs: true, CapDrop: ["ALL"] });
  if (run.exitCode !== 0 && !run.stdout.includes("==> ")) throw new DockerError("DOCKER", `socket scan failed (exit ${run.exitCode}): ${run.stderr.slice(0, 200)}`, side.host.name);
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
    if (readable) result.set(c.id, inventory(entries));
  }
  return result;
}

/**
 * Closes the container's connections to peers outside it (the peers see them closed). Listening
 * sockets and connections between the container's own processes are left alone.
 */
export async function closeExternalConnections(side: Side, containerId: string): Promise<{ closed: string[]; failed: string[] }> {
  const hostConfig: Docker.HostConfig = { NetworkMode: `container:${containerId}`, CapDrop: ["ALL"], CapAdd: ["NET_ADMIN"], ReadonlyRootfs: true };
  const run = await runTool(side, ["close-external"], "close-external", hostConfig);
  const closed = [...run.stdout.matchAll(/^closed (\S+ \S+ \S+)/gm)].map((m) => m[1]!);
  const failed = [...run.stdout.matchAll(/^failed (.*)$/gm)].map((m) => m[1]!);
  if (run.exitCode !== 0 && run.exitCode !== 6) throw new DockerError("DOCKER", `closing external connections failed (exit ${run.exitCode}): ${(run.stdout + run.stderr).slice(0, 300)}`, side.host.name);
  return { closed, failed };
}
