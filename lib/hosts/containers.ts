import "server-only";
import { env } from "@/lib/env";
import { listContainers, sampleMemory, type ContainerSummary } from "@/lib/docker/inspect";
import { toDockerError } from "@/lib/docker/errors";
import { listHosts } from "@/lib/hosts/service";
import type { Host } from "@/lib/generated/prisma/client";

export type ContainerRow = ContainerSummary & {
  hostId: string;
  hostName: string;
  memoryBytes: number | null;
};

/** One entry per host: its containers, or the error that kept us from listing them. */
export type HostContainers =
  | { hostId: string; hostName: string; ok: true; containers: ContainerRow[] }
  | { hostId: string; hostName: string; ok: false; code: string; error: string };

// Memory samples, refreshed by the background monitor; the table shows the last one.
type Sample = { bytes: number; at: number };
const g = globalThis as unknown as { __ferryMemory?: Map<string, Sample> };
const memory = (g.__ferryMemory ??= new Map());
const key = (hostId: string, containerId: string) => `${hostId}/${containerId}`;

export async function listHostContainers(host: Host): Promise<HostContainers> {
  try {
    const list = await listContainers(host, env().FERRY_DOCKER_TIMEOUT_MS);
    return {
      hostId: host.id,
      hostName: host.name,
      ok: true,
      containers: list.map((c) => ({
        ...c,
        hostId: host.id,
        hostName: host.name,
        memoryBytes: c.state === "running" ? (memory.get(key(host.id, c.id))?.bytes ?? null) : null,
      })),
    };
  } catch (err) {
    const e = toDockerError(err, host.name);
    return { hostId: host.id, hostName: host.name, ok: false, code: e.code, error: e.message };
  }
}

/** Every container of every host, hosts queried in parallel. */
export async function listAllContainers(): Promise<HostContainers[]> {
  const hosts = await listHosts();
  return Promise.all(hosts.map(listHostContainers));
}

/** Samples memory of every running container of a host into the cache. */
export async function refreshMemory(host: Host): Promise<void> {
  const listed = await listHostContainers(host);
  if (!listed.ok) return;
  const running = listed.containers.filter((c) => c.state === "running").map((c) => c.id);
  const samples = await sampleMemory(host, running, env().FERRY_DOCKER_TIMEOUT_MS);
  const now = Date.now();
  for (const [id, bytes] of samples) memory.set(key(host.id, id), { bytes, at: now });
  // Forget containers this host no longer runs.
  for (const k of memory.keys()) {
    if (k.startsWith(`${host.id}/`) && !samples.has(k.slice(host.id.length + 1))) memory.delete(k);
  }
}
