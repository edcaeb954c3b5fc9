import "server-only";
import type Docker from "dockerode";
import { dockerCall, dockerFor, sshHostKeySeen, type HostConnection } from "@/lib/docker/client";
import { DockerError, toDockerError, type DockerErrorCode } from "@/lib/docker/errors";
import { parseDockerUptime } from "@/lib/format";
import { mapLimit } from "@/lib/migration/semaphore";

export type HostFacts = {
  dockerVersion: string;
  apiVersion: string;
  experimental: boolean;
  dockerRootDir: string;
  cpus: number;
  memTotal: number;
  containersRunning: number;
  containersTotal: number;
  osType: string;
  kernelVersion: string;
};

export type ProbeResult =
  | ({ ok: true; warning: string | null; checkedAt: Date; latencyMs: number; sshHostKey: string | null } & HostFacts)
  | { ok: false; code: DockerErrorCode; error: string; checkedAt: Date };

/** A ProbeResult as it crosses to the browser (dates as ISO text). */
export type ProbeResultJson = ProbeResult extends infer T ? (T extends unknown ? Omit<T, "checkedAt"> & { checkedAt: string } : never) : never;

/** Reads /version and /info from a host. Never throws: failures are a result with their cause. */
export async function probeHost(host: HostConnection, timeoutMs: number): Promise<ProbeResult> {
  const started = Date.now();
  try {
    const docker = dockerFor(host, { timeoutMs });
    const [version, info] = await dockerCall(host.name, timeoutMs, () =>
      Promise.all([docker.version(), docker.info() as Promise<Record<string, unknown>>]),
    );
    const facts: HostFacts = {
      dockerVersion: String(version.Version ?? "?"),
      apiVersion: String(version.ApiVersion ?? "?"),
      experimental: Boolean(info.ExperimentalBuild),
      dockerRootDir: String(info.DockerRootDir ?? ""),
      cpus: Number(info.NCPU ?? 0),
      memTotal: Number(info.MemTotal ?? 0),
      containersRunning: Number(info.ContainersRunning ?? 0),
      containersTotal: Number(info.Containers ?? 0),
      osType: String(info.OSType ?? ""),
      kernelVersion: String(info.KernelVersion ?? ""),
    };
    const warning = facts.experimental
      ? null
      : "experimental mode is off: checkpoint/restore needs \"experimental\": true in daemon.json";
    return { ok: true, warning, checkedAt: new Date(), latencyMs: Date.now() - started, sshHostKey: sshHostKeySeen(docker), ...facts };
  } catch (err) {
    const e = toDockerError(err, host.name);
    return { ok: false, code: e.code, error: e.message, checkedAt: new Date() };
  }
}

export type ContainerSummary = {
  id: string;
  name: string;
  image: string;
  state: string; // running | exited | paused | created | restarting | dead | removing
  status: string; // Docker's human text: "Up 3 minutes"
  createdAt: string; // ISO
  uptimeSeconds: number | null;
  labels: Record<string, string>;
};

export async function listContainers(host: HostConnection, timeoutMs: number): Promise<ContainerSummary[]> {
  const docker: Docker = dockerFor(host, { timeoutMs });
  const list = await dockerCall(host.name, timeoutMs, () => docker.listContainers({ all: true }));
  return list.map((c) => ({
    id: c.Id,
    name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ""),
    image: c.Image,
    state: c.State,
    status: c.Status,
    createdAt: new Date(c.Created * 1000).toISOString(),
    uptimeSeconds: c.State === "running" || c.State === "paused" ? parseDockerUptime(c.Status) : null,
    labels: c.Labels ?? {},
  }));
}

/** Current memory use of running containers (one-shot stats), at most `concurrency` calls at once. */
export async function sampleMemory(
  host: HostConnection,
  containerIds: string[],
  timeoutMs: number,
  concurrency = 8,
): Promise<Map<string, number>> {
  const docker = dockerFor(host, { timeoutMs });
  const out = new Map<string, number>();
  await mapLimit(containerIds, concurrency, async (id) => {
    try {
      const stats = (await dockerCall(host.name, timeoutMs, () =>
        docker.getContainer(id).stats({ stream: false, "one-shot": true } as { stream: false }),
      )) as { memory_stats?: { usage?: number; stats?: Record<string, number> } };
      const usage = stats.memory_stats?.usage;
      if (typeof usage === "number") {
        // Like `docker stats`: page cache does not count as used memory.
        const cache = stats.memory_stats?.stats?.total_inactive_file ?? stats.memory_stats?.stats?.inactive_file ?? 0;
        out.set(id, Math.max(0, usage - cache));
      }
    } catch (err) {
      // A container that stopped between listing and sampling has no memory figure: fine.
      if (!(err instanceof DockerError && err.code === "NOT_FOUND")) throw err;
    }
  });
  return out;
}
