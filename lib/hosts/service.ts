import "server-only";
import fs from "node:fs";
import { db } from "@/lib/db";
import { InputError } from "@/lib/errors";
import type { Host } from "@/lib/generated/prisma/client";
import { env } from "@/lib/env";
import { probeHost, type ProbeResult } from "@/lib/docker/inspect";
import { getIo } from "@/lib/realtime/emitter";
import { ROOMS } from "@/lib/realtime/protocol";
import type { z } from "zod";
import { fieldErrors, hostInputSchema, hostPatchSchema, type HostInput, type HostPatch } from "@/lib/validations/host";
import { BATCH_ENDED } from "@/lib/migration/state";
import type { CriuProbe } from "@/lib/migration/criu-log";
import { hostCriu } from "@/lib/migration/criu";
import { openSide } from "@/lib/migration/docker-ops";

/** What the browser may see of a host: never TLS material or keys. */
export type PublicHost = {
  id: string;
  name: string;
  endpoint: string;
  hasTls: boolean;
  hasSshKey: boolean;
  /** The SSH host key fingerprint pinned on first use, and when (public facts, not secrets). */
  sshHostKey: string | null;
  sshHostKeyPinnedAt: string | null;
  healthStatus: "ok" | "warning" | "error" | "unknown";
  healthError: string | null;
  healthErrorCode: string | null;
  healthCheckedAt: string | null;
  dockerVersion: string | null;
  apiVersion: string | null;
  experimental: boolean | null;
  dockerRootDir: string | null;
  cpus: number | null;
  memTotal: number | null;
  containersRunning: number | null;
  containersTotal: number | null;
  kernelVersion: string | null;
  memoryBudgetBytes: number | null;
  maxConcurrency: number | null;
  /** In maintenance: takes no new containers (set by an evacuation, or by hand). */
  maintenance: boolean;
  maintenanceSince: string | null;
  /** The last CRIU capability probe (pre-flight runs it; "Probe CRIU" refreshes it). */
  criu: CriuProbe | null;
};

export function toPublicHost(h: Host): PublicHost {
  return {
    id: h.id,
    name: h.name,
    endpoint: h.endpoint,
    hasTls: Boolean(h.tlsCa && h.tlsCert && h.tlsKey),
    hasSshKey: Boolean(h.sshKey),
    sshHostKey: h.sshHostKey,
    sshHostKeyPinnedAt: h.sshHostKeyPinnedAt?.toISOString() ?? null,
    healthStatus: (["ok", "warning", "error"].includes(h.healthStatus) ? h.healthStatus : "unknown") as PublicHost["healthStatus"],
    healthError: h.healthError,
    healthErrorCode: h.healthErrorCode,
    healthCheckedAt: h.healthCheckedAt?.toISOString() ?? null,
    dockerVersion: h.dockerVersion,
    apiVersion: h.apiVersion,
    experimental: h.experimental,
    dockerRootDir: h.dockerRootDir,
    cpus: h.cpus,
    memTotal: h.memTotal === null ? null : Number(h.memTotal),
    containersRunning: h.containersRunning,
    containersTotal: h.containersTotal,
    kernelVersion: h.kernelVersion,
    memoryBudgetBytes: h.memoryBudgetBytes === null ? null : Number(h.memoryBudgetBytes),
    maxConcurrency: h.maxConcurrency,
    maintenance: h.maintenance,
    maintenanceSince: h.maintenanceSince?.toISOString() ?? null,
    criu: parseCriuProbe(h.criuProbe),
  };
}

function parseCriuProbe(text: string | null): CriuProbe | null {
  if (!text) return null;
  try {
    return JSON.parse(text) as CriuProbe;
  } catch {
    return null;
  }
}

export class HostInputError extends InputError {}

/** A host that a batch which has not ended still needs (409 in the API). */
export class HostInUseError extends Error {
  readonly code = "HOST_IN_USE";
  constructor(
    name: string,
    readonly migrationId: string,
  ) {
    super(`Host "${name}" is part of migration ${migrationId}, which has not ended; remove the host once that batch is over (or cancel it first)`);
  }
}

export class HostNotFoundError extends Error {
  readonly code = "HOST_NOT_FOUND";
  constructor(id: string) {
    super(`No host with id ${id}`);
  }
}

function parseInput(input: HostInput) {
  const parsed = hostInputSchema.safeParse(input);
  if (!parsed.success) throw inputError(parsed.error);
  const v = parsed.data;
  const tlsGiven = [v.tlsCa, v.tlsCert, v.tlsKey].filter(Boolean).length;
  if (tlsGiven > 0 && tlsGiven < 3)
    throw new HostInputError("TLS needs all three: CA, client certificate and client key", {
      tlsCa: ["TLS needs all three: CA, client certificate and client key"],
    });
  if (v.endpoint.startsWith("ssh://") && !v.sshKey)
    throw new HostInputError("An ssh:// endpoint needs a private key", { sshKey: ["Paste the private key Ferry should use"] });
  return v;
}

const limits = (v: { memoryBudgetMiB?: number; maxConcurrency?: number }) => ({
  memoryBudgetBytes: v.memoryBudgetMiB === undefined ? null : BigInt(v.memoryBudgetMiB) * 1048576n,
  maxConcurrency: v.maxConcurrency ?? null,
});

async function assertNameFree(name: string, exceptId?: string) {
  const other = await db.host.findUnique({ where: { name } });
  if (other && other.id !== exceptId)
    throw new HostInputError(`A host named "${name}" exists already`, { name: [`A host named "${name}" exists already`] });
}

export async function listHosts(): Promise<Host[]> {
  return db.host.findMany({ orderBy: { name: "asc" } });
}

export async function getHost(id: string): Promise<Host> {
  const host = await db.host.findUnique({ where: { id } });
  if (!host) throw new HostNotFoundError(id);
  return host;
}

/** Registers a host and checks it at once; an unreachable host is saved with its error shown. */
export async function createHost(input: HostInput): Promise<Host> {
  const v = parseInput(input);
  await assertNameFree(v.name);
  const host = await db.host.create({
    data: { name: v.name, endpoint: v.endpoint, tlsCa: v.tlsCa, tlsCert: v.tlsCert, tlsKey: v.tlsKey, sshKey: v.sshKey, ...limits(v) },
  });
  getIo()?.to(ROOMS.hosts).emit("hosts:changed");
  return refreshHealth(host.id);
}

/** Field errors of a zod parse as the form and the API report them. */
function inputError(error: z.ZodError): HostInputError {
  return new HostInputError("Check the highlighted fields", fieldErrors(error));
}

const storedMiB = (bytes: bigint | null) => (bytes === null ? undefined : Number(bytes / 1048576n));

/**
 * Edits a host: the hosts page's edit form and PATCH /api/v1/hosts/{id}. Fields left out keep what
 * is stored (hostPatchSchema says how secrets and limits are kept or reset); the result must still
 * be a whole host (hostInputSchema and the TLS/SSH rules), and is checked at once. The pinned SSH
 * host key is forgotten on request (forgetHostKey: the host was reinstalled) or when the endpoint
 * changes (another server); the next successful connection pins the key it presents.
 */
export async function updateHost(id: string, patch: HostPatch): Promise<Host> {
  const parsed = hostPatchSchema.safeParse(patch);
  if (!parsed.success) throw inputError(parsed.error);
  const p = parsed.data;
  const existing = await getHost(id);
  const secret = (given: string | undefined, stored: string | null) => given ?? (p.clearSecrets ? undefined : (stored ?? undefined));
  const v = parseInput({
    name: p.name ?? existing.name,
    endpoint: p.endpoint ?? existing.endpoint,
    tlsCa: secret(p.tlsCa, existing.tlsCa),
    tlsCert: secret(p.tlsCert, existing.tlsCert),
    tlsKey: secret(p.tlsKey, existing.tlsKey),
    sshKey: secret(p.sshKey, existing.sshKey),
    memoryBudgetMiB: p.memoryBudgetMiB === undefined ? storedMiB(existing.memoryBudgetBytes) : (p.memoryBudgetMiB ?? undefined),
    maxConcurrency: p.maxConcurrency === undefined ? (existing.maxConcurrency ?? undefined) : (p.maxConcurrency ?? undefined),
  });
  await assertNameFree(v.name, id);
  await db.host.update({
    where: { id },
    data: {
      name: v.name,
      endpoint: v.endpoint,
      tlsCa: v.tlsCa ?? null,
      tlsCert: v.tlsCert ?? null,
      tlsKey: v.tlsKey ?? null,
      sshKey: v.sshKey ?? null,
      ...limits(v),
      ...(p.maintenance === undefined || p.maintenance === existing.maintenance ? {} : maintenanceFields(p.maintenance)),
      ...(p.forgetHostKey || v.endpoint !== existing.endpoint ? { sshHostKey: null, sshHostKeyPinnedAt: null } : {}),
    },
  });
  getIo()?.to(ROOMS.hosts).emit("hosts:changed");
  return refreshHealth(id);
}

const maintenanceFields = (on: boolean) => ({ maintenance: on, maintenanceSince: on ? new Date() : null });

/**
 * Puts a host into maintenance (it takes no new containers: pre-flight refuses it as a target and
 * the engine admits nothing more onto it) or takes it out. Containers already on it stay.
 */
export async function setMaintenance(id: string, on: boolean): Promise<Host> {
  const host = await getHost(id);
  if (host.maintenance === on) return host;
  const updated = await db.host.update({ where: { id }, data: maintenanceFields(on) });
  getIo()?.to(ROOMS.hosts).emit("hosts:changed");
  return updated;
}

/** The batch that has not ended and moves containers from or to a host, if any. */
async function unfinishedBatchOf(hostId: string): Promise<{ id: string; status: string } | null> {
  return db.migration.findFirst({
    where: { status: { notIn: [...BATCH_ENDED] }, OR: [{ targetHostId: hostId }, { items: { some: { OR: [{ sourceHostId: hostId }, { targetHostId: hostId }] } } }] },
    select: { id: true, status: true },
    orderBy: { createdAt: "desc" },
  });
}

/**
 * Removes a host from Ferry (its containers keep running). Refused while a batch that has not
 * ended moves containers from or to it: the engine still needs the host's record to finish, roll
 * back or recover those containers.
 */
export async function deleteHost(id: string): Promise<void> {
  const host = await getHost(id);
  const batch = await unfinishedBatchOf(id);
  if (batch) throw new HostInUseError(host.name, batch.id);
  await db.$transaction([db.pairProbe.deleteMany({ where: { OR: [{ sourceHostId: id }, { targetHostId: id }] } }), db.host.delete({ where: { id } })]);
  getIo()?.to(ROOMS.hosts).emit("hosts:changed");
}

/** Probes an endpoint without saving anything ("Test connection" on an unsaved form). */
export async function testConnection(input: HostInput): Promise<ProbeResult> {
  const v = parseInput(input);
  return probeHost(v, env().FERRY_DOCKER_TIMEOUT_MS);
}

/** Probes a saved host, stores the result and announces it. */
export async function refreshHealth(id: string): Promise<Host> {
  const host = await getHost(id);
  const result = await probeHost(host, env().FERRY_DOCKER_TIMEOUT_MS);
  const data = result.ok
    ? {
        healthStatus: result.warning ? "warning" : "ok",
        healthError: result.warning,
        healthErrorCode: result.warning ? "EXPERIMENTAL_OFF" : null,
        healthCheckedAt: result.checkedAt,
        dockerVersion: result.dockerVersion,
        apiVersion: result.apiVersion,
        experimental: result.experimental,
        dockerRootDir: result.dockerRootDir,
        cpus: result.cpus,
        memTotal: BigInt(result.memTotal),
        containersRunning: result.containersRunning,
        containersTotal: result.containersTotal,
        osType: result.osType,
        kernelVersion: result.kernelVersion,
        // Trust on first use: the first successful SSH connection pins the host key it was shown.
        ...(result.sshHostKey && !host.sshHostKey ? { sshHostKey: result.sshHostKey, sshHostKeyPinnedAt: result.checkedAt } : {}),
      }
    : { healthStatus: "error", healthError: result.error, healthErrorCode: result.code, healthCheckedAt: result.checkedAt };
  const updated = await db.host.update({ where: { id }, data });
  if (updated.healthStatus !== host.healthStatus || updated.healthError !== host.healthError) {
    getIo()?.to(ROOMS.hosts).emit("hosts:health", {
      hostId: updated.id,
      name: updated.name,
      status: updated.healthStatus as "ok" | "warning" | "error",
      error: updated.healthError,
      checkedAt: result.checkedAt.toISOString(),
    });
  }
  return updated;
}

/** Runs the CRIU capability probe on a saved host now (checkpoint and restore of a probe container). */
export async function probeHostCriu(id: string): Promise<{ host: Host; probe: CriuProbe }> {
  const host = await getHost(id);
  const side = await openSide(host);
  const probe = await hostCriu(side, { fresh: true });
  getIo()?.to(ROOMS.hosts).emit("hosts:changed");
  return { host: await getHost(id), probe };
}

const LOCAL_SOCKET = "/var/run/docker.sock";
const LOCAL_MARKER = "local-host-registered";

/** On first start, registers this machine's Docker socket as host "local" (once, ever). */
export async function registerLocalHostOnce(): Promise<Host | null> {
  if (env().FERRY_REGISTER_LOCAL !== "1") return null;
  if (await db.setting.findUnique({ where: { key: LOCAL_MARKER } })) return null;
  if (!fs.existsSync(LOCAL_SOCKET)) return null;
  await db.setting.create({ data: { key: LOCAL_MARKER, value: new Date().toISOString() } });
  if (await db.host.findFirst({ where: { OR: [{ name: "local" }, { endpoint: `unix://${LOCAL_SOCKET}` }] } })) return null;
  return createHost({ name: "local", endpoint: `unix://${LOCAL_SOCKET}` });
}
