import { z } from "zod";
import type { ContainerRow, HostListingError } from "@/lib/hosts/containers";
import type { PublicHost } from "@/lib/hosts/service";
import type { BatchSummary } from "@/lib/migration/history";
import type { MigrationItemView, MigrationView, PhaseView } from "@/lib/migration/view";
import type { Plan } from "@/lib/migration/preflight";
import type { Evacuation } from "@/lib/migration/evacuate";
import { CRIU_CAPABILITIES } from "@/lib/migration/criu-log";
import { BATCH_STATUSES, ITEM_STATUSES, PHASE_NAMES } from "@/lib/migration/state";
import { migrationOptionsSchema } from "@/lib/validations/migration";

/**
 * What /api/v1 answers, as zod schemas for the OpenAPI document. Each is checked against the
 * TypeScript type the handler returns (`Same` below): a field added to PublicHost and not here, or
 * the other way round, fails `tsc`, so the document cannot drift from the responses.
 */

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const same = <A, B>(ok: Same<A, B>) => ok;

const iso = z.string().describe("ISO 8601 time");
const isoOrNull = iso.nullable();

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().describe("UNAUTHENTICATED, FOREIGN_ORIGIN, ORIGIN_REQUIRED, INVALID_INPUT, HOST_NOT_FOUND, HOST_IN_USE, MIGRATION_NOT_FOUND, MIGRATION_CONFLICT, BODY_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, a Docker error code, INTERNAL"),
      message: z.string().describe("what went wrong; for INVALID_INPUT each bad field and its cause"),
      fields: z.record(z.string(), z.array(z.string())).optional().describe("INVALID_INPUT: the messages of each bad field, by its path (items.0.containerId)"),
      containers: z.array(z.string()).optional().describe("MIGRATION_CONFLICT: the containers already being migrated"),
      migrationId: z.string().optional().describe("HOST_IN_USE: the batch that still needs the host"),
    }),
  });

const criuProbeSchema = z.object({
  ok: z.boolean(),
  checkedAt: iso,
  kernel: z.string(),
  durationMs: z.number(),
  error: z.string().optional(),
  capabilities: z.array(z.object({ name: z.enum(CRIU_CAPABILITIES), ok: z.boolean(), error: z.string().optional(), hint: z.string().optional() })),
});

export const hostSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    endpoint: z.string(),
    hasTls: z.boolean().describe("TLS material is set (it is never returned)"),
    hasSshKey: z.boolean().describe("an SSH key is set (it is never returned)"),
    sshHostKey: z.string().nullable().describe("the SSH host key fingerprint (SHA256:…) pinned by the first successful connection"),
    sshHostKeyPinnedAt: isoOrNull,
    healthStatus: z.enum(["ok", "warning", "error", "unknown"]),
    healthError: z.string().nullable(),
    healthErrorCode: z
      .string()
      .nullable()
      .describe(
        "why the host is unreachable: CONNECTION_REFUSED, TLS_UNTRUSTED_SERVER, TLS_CLIENT_CERT_EXPIRED, TLS_CLIENT_CERT_REJECTED, SSH_HOST_KEY_CHANGED, SSH_AUTH_FAILED, SSH_NO_DOCKER, UNREACHABLE, TIMEOUT, TLS, …",
      ),
    healthCheckedAt: isoOrNull,
    dockerVersion: z.string().nullable(),
    apiVersion: z.string().nullable(),
    experimental: z.boolean().nullable(),
    dockerRootDir: z.string().nullable(),
    cpus: z.number().nullable(),
    memTotal: z.number().nullable().describe("bytes"),
    containersRunning: z.number().nullable(),
    containersTotal: z.number().nullable(),
    kernelVersion: z.string().nullable(),
    memoryBudgetBytes: z.number().nullable().describe("null: the default, 80% of memTotal"),
    maxConcurrency: z.number().nullable().describe("null: the batch's setting"),
    maintenance: z.boolean().describe("true: takes no new containers (set by an evacuation, or by PATCH)"),
    maintenanceSince: isoOrNull,
    criu: criuProbeSchema.nullable().describe("the last CRIU capability probe"),
  });
same<z.output<typeof hostSchema>, PublicHost>(true);

export const containerSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    image: z.string(),
    state: z.string().describe("running, exited, paused, created, restarting, removing, dead"),
    status: z.string().describe("Docker's text, e.g. 'Up 3 minutes'"),
    createdAt: iso,
    uptimeSeconds: z.number().nullable(),
    labels: z.record(z.string(), z.string()),
    hostId: z.string(),
    hostName: z.string(),
    memoryBytes: z.number().nullable().describe("the last background sample; null before one"),
  });
same<z.output<typeof containerSchema>, ContainerRow>(true);

export const hostListingErrorSchema = z
  .object({ hostId: z.string(), hostName: z.string(), ok: z.literal(false), code: z.string().describe("UNREACHABLE, TIMEOUT, TLS, ..."), error: z.string() });
same<z.output<typeof hostListingErrorSchema>, HostListingError>(true);

const phaseSchema = z.object({ name: z.enum(PHASE_NAMES), startedAt: iso, endedAt: isoOrNull, ok: z.boolean().nullable(), detail: z.string().nullable(), bytes: z.number().nullable() });
same<z.output<typeof phaseSchema>, PhaseView>(true);

const itemSchema = z.object({
  id: z.string(),
  seq: z.number().describe("the item's place in the batch: the order of the request's items"),
  hostId: z.string(),
  hostName: z.string(),
  containerId: z.string(),
  name: z.string(),
  image: z.string(),
  status: z.enum(ITEM_STATUSES),
  targetHostId: z.string().nullable().describe("where this container goes; null when no host could take it (it was skipped, with the reason)"),
  targetHostName: z.string().nullable(),
  targetName: z.string().nullable(),
  targetContainerId: z.string().nullable(),
  memoryNeedBytes: z.number().nullable(),
  bytesMoved: z.number(),
  downtimeMs: z.number().nullable(),
  error: z.string().nullable(),
  errorCode: z.string().nullable(),
  warnings: z.array(z.string()),
  startedAt: isoOrNull,
  finishedAt: isoOrNull,
  phases: z.array(phaseSchema),
});
same<z.output<typeof itemSchema>, MigrationItemView>(true);

export const migrationSchema = z
  .object({
    id: z.string(),
    status: z.enum(BATCH_STATUSES),
    targetHostId: z.string().nullable().describe("the batch's target when it has one; null when its items go to several hosts"),
    targetHostName: z.string().describe('"host-b", or every target\'s name ("host-b, host-c")'),
    targets: z
      .array(
        z.object({
          id: z.string(),
          name: z.string(),
          total: z.number(),
          counts: z.record(z.string(), z.number()).describe("items per status"),
          downtimeP50Ms: z.number().nullable(),
          downtimeP95Ms: z.number().nullable(),
          bytesMoved: z.number(),
        }),
      )
      .describe("each target's share of the batch"),
    evacuatedHost: z.object({ id: z.string(), name: z.string() }).nullable().describe("set on the batch that evacuates a host"),
    options: migrationOptionsSchema,
    createdBy: z.string(),
    createdAt: iso,
    startedAt: isoOrNull,
    finishedAt: isoOrNull,
    cancelRequested: z.boolean(),
    counts: z.record(z.string(), z.number()).describe("items per status"),
    items: z.array(itemSchema).describe("in seq order"),
  });
same<z.output<typeof migrationSchema>, MigrationView>(true);

export const batchSummarySchema = z
  .object({
    id: z.string(),
    status: z.enum(BATCH_STATUSES),
    createdAt: iso,
    createdBy: z.string(),
    startedAt: isoOrNull,
    finishedAt: isoOrNull,
    sources: z.array(z.string()),
    targetHostName: z.string(),
    targets: z.array(z.string()).describe("the names of the hosts its containers went to"),
    evacuatedHostName: z.string().nullable(),
    total: z.number(),
    counts: z.record(z.string(), z.number()),
    durationMs: z.number().nullable(),
    downtimeP50Ms: z.number().nullable(),
    downtimeP95Ms: z.number().nullable(),
    containersPerMin: z.number().nullable(),
  });
same<z.output<typeof batchSummarySchema>, BatchSummary>(true);

export const planSchema = z.object({
  targets: z
    .array(
      z.object({
        id: z.string(),
        name: z.string(),
        budgetBytes: z.number(),
        usedBytes: z.number().describe("memory in use on the host when planned: running containers plus a shim each"),
        memTotal: z.number(),
        concurrency: z.number(),
        maintenance: z.boolean(),
        unavailable: z.string().nullable().describe("why the host takes nothing (not registered, unreachable, in maintenance); null when it can"),
        plannedCount: z.number().describe("containers the plan puts there"),
        plannedBytes: z.number().describe("the memory they need"),
      }),
    )
    .describe("every host the plan may use, in the order given"),
  evacuate: z.object({ hostId: z.string(), hostName: z.string() }).nullable(),
  options: migrationOptionsSchema,
  items: z
    .array(
      z.object({
        hostId: z.string(),
        hostName: z.string(),
        containerId: z.string(),
        name: z.string(),
        image: z.string(),
        imageId: z.string().nullable(),
        targetHostId: z.string().nullable().describe("where it goes; null when no host can take it (see errors)"),
        targetHostName: z.string().nullable(),
        targetName: z.string().nullable(),
        memoryNeedBytes: z.number(),
        externalConnections: z.number(),
        errors: z.array(z.string()).describe("why it cannot move (it stays running on its host); empty when it moves"),
        warnings: z.array(z.string()),
      }),
    )
    .describe("in the order they move"),
  startedAt: iso,
  finishedAt: iso,
});
same<z.output<typeof planSchema>, Plan>(true);

export const evacuationSchema = z.object({
  plan: planSchema,
  migration: migrationSchema.nullable().describe("the batch that moves them; null for a dry run or when the host runs nothing"),
});
same<z.output<typeof evacuationSchema>, Evacuation>(true);
