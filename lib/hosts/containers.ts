import "server-only";
import { env } from "@/lib/env";
import { listContainers, type ContainerSummary } from "@/lib/docker/inspect";
import { openSide } from "@/lib/migration/docker-ops";
import { scanContainers } from "@/lib/migration/host-scan";
import { toDockerError } from "@/lib/docker/errors";
import { listHosts } from "@/lib/hosts/service";
import type { Host } from "@/lib/generated/prisma/client";
import { InputError } from "@/lib/errors";
import { byTableOrder, DEFAULT_SORT } from "@/lib/hosts/order";
import { containerMatches, type ContainerQuery } from "@/lib/validations/containers";

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

/** A host whose containers could not be listed: GET /api/v1/containers names it instead of failing. */
export type HostListingError = Extract<HostContainers, { ok: false }>;

/**
 * GET /api/v1/containers: the containers of every host (or of the one `q.host` names) that pass the
 * filters, in the containers page's order (host name, then container name), and one error entry per
 * host that could not be listed.
 */
export async function queryContainers(q: ContainerQuery): Promise<{ containers: ContainerRow[]; errors: HostListingError[] }> {
  let hosts = await listHosts();
  if (q.host) {
    hosts = hosts.filter((h) => h.id === q.host || h.name === q.host);
    if (!hosts.length) throw new InputError(`No host with id or name ${q.host}`, { host: [`no host with id or name ${q.host}`] });
  }
  const listed = await Promise.all(hosts.map(listHostContainers));
  return {
    containers: listed
      .flatMap((h) => (h.ok ? h.containers : []))
      .filter((c) => containerMatches(c, q))
      .sort(byTableOrder(DEFAULT_SORT)),
    errors: listed.filter((h): h is HostListingError => !h.ok),
  };
}

/**
 * Reads the memory of every running container of a host into the cache: one run of Ferry's tool
 * reads their cgroup files (lib/migration/host-scan.ts), so a host with hundreds of containers
 * costs one short call, not hundreds of Docker stats calls.
 */
export async function refreshMemory(host: Host): Promise<number> {
  const listed = await listHostContainers(host);
  if (!listed.ok) return 0;
  const running = listed.containers.filter((c) => c.state === "running").map((c) => c.id);
  const side = await openSide(host);
  const samples = (await scanContainers(side, running.map((id) => ({ id })), { sockets: false, memory: true })).memory;
  const now = Date.now();
  for (const [id, bytes] of samples) memory.set(key(host.id, id), { bytes, at: now });
  // Forget containers this host no longer runs.
  const alive = new Set(running);
  for (const k of memory.keys()) {
    if (k.startsWith(`${host.id}/`) && !alive.has(k.slice(host.id.length + 1))) memory.delete(k);
  }
  return samples.size;
}

/** The last memory sample of a container if it is at most `maxAgeMs` old. */
export function cachedMemory(hostId: string, containerId: string, maxAgeMs: number): number | undefined {
  const s = memory.get(key(hostId, containerId));
  return s && Date.now() - s.at <= maxAgeMs ? s.bytes : undefined;
}
