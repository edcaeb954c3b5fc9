import { z } from "zod";

const id = (what: string) =>
  z.string({ error: (iss) => (iss.input === undefined ? `${what} is required` : `${what} must be text`) }).regex(/^[A-Za-z0-9_-]{1,64}$/, `not ${/^[aeiou]/i.test(what) ? "an" : "a"} ${what} (1-64 letters, digits, '_' or '-')`);
const containerId = z
  .string({ error: (iss) => (iss.input === undefined ? "containerId is required" : "containerId must be text (a container id or name)") })
  .min(1, "containerId is empty")
  .max(128, "containerId has at most 128 characters")
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "not a container id or name");

/** Default parallelism per host, chosen by measurement (docs/migration.md, scripts/bench.ts). */
export const DEFAULT_CONCURRENCY = 2;

export const migrationOptionsSchema = z
  .strictObject({
    keepSource: z.boolean({ message: "keepSource must be true or false" }).default(false),
    concurrency: z
      .number({ message: "Concurrency must be a whole number from 1 to 32" })
      .int("Concurrency must be a whole number from 1 to 32")
      .min(1, "Concurrency must be a whole number from 1 to 32")
      .max(32, "Concurrency must be a whole number from 1 to 32")
      .default(DEFAULT_CONCURRENCY),
    /** When the name is taken on the target: refuse that container, or append "-migrated". */
    nameConflict: z.enum(["fail", "suffix"], { message: 'nameConflict must be "fail" or "suffix"' }).default("fail"),
  }, { error: (iss) => (iss.code === "unrecognized_keys" ? `Unknown option(s): ${iss.keys.join(", ")} (options are keepSource, concurrency, nameConflict)` : "options must be an object") });

export type MigrationOptions = z.output<typeof migrationOptionsSchema>;

const itemSchema = z.strictObject(
  {
    hostId: id("host id"),
    containerId,
    targetHostId: id("host id").optional().describe("this container's target; default: the batch's targetHostId"),
  },
  { error: (iss) => (iss.code === "unrecognized_keys" ? `Unknown field(s) in an item: ${iss.keys.join(", ")} (an item is {hostId, containerId, targetHostId?})` : "an item is {hostId, containerId, targetHostId?}") },
);

/**
 * A batch: each container goes to its item's targetHostId, or to the batch's. One batch may move
 * containers to several hosts (an evacuation spreads a host's containers over the others).
 */
export const migrationRequestSchema = z
  .strictObject(
    {
      targetHostId: id("host id").optional().describe("the target of every item that names none"),
      items: z
        .array(itemSchema, { message: "items must be a list of {hostId, containerId, targetHostId?}" })
        .min(1, "Select at least one container")
        .max(1000, "At most 1000 containers per batch"),
      options: migrationOptionsSchema.optional(),
    },
    { error: (iss) => (iss.code === "unrecognized_keys" ? `Unknown field(s): ${iss.keys.join(", ")} (a batch is {targetHostId, items, options})` : "A batch must be an object {targetHostId, items, options}") },
  )
  .superRefine((v, ctx) => {
    const seen = new Set<string>();
    const untargeted: number[] = [];
    v.items.forEach((item, i) => {
      const key = `${item.hostId}/${item.containerId}`;
      if (seen.has(key)) ctx.addIssue({ code: "custom", path: ["items", i], message: `${item.containerId} is listed twice` });
      seen.add(key);
      if (!item.targetHostId && !v.targetHostId) untargeted.push(i);
    });
    if (!untargeted.length) return;
    if (untargeted.length === v.items.length) ctx.addIssue({ code: "custom", path: ["targetHostId"], message: "host id is required (the batch's target, or one per item)" });
    else for (const i of untargeted) ctx.addIssue({ code: "custom", path: ["items", i, "targetHostId"], message: "no target: give this item a targetHostId, or the batch one" });
  });

/** The target of a parsed request's item (the schema guarantees one). */
export const targetOf = (req: { targetHostId?: string }, item: { targetHostId?: string }): string => (item.targetHostId ?? req.targetHostId)!;

/**
 * Evacuating a host (POST /api/v1/hosts/{id}/evacuate): every running container of the host is
 * planned onto the other hosts (or the ones named), spread by each one's free memory budget.
 */
export const evacuateRequestSchema = z.strictObject(
  {
    targetHostIds: z
      .array(id("host id"), { message: "targetHostIds must be a list of host ids" })
      .min(1, "Name at least one target host, or leave targetHostIds out for every other host")
      .max(100, "At most 100 target hosts")
      .refine((ids) => new Set(ids).size === ids.length, "a host is listed twice in targetHostIds")
      .optional()
      .describe("the hosts that may take containers; default every other host not in maintenance"),
    options: migrationOptionsSchema.optional(),
    dryRun: z.boolean({ message: "dryRun must be true or false" }).default(false).describe("true: answer the plan only, nothing stops and maintenance is not set"),
  },
  { error: (iss) => (iss.code === "unrecognized_keys" ? `Unknown field(s): ${iss.keys.join(", ")} (an evacuation is {targetHostIds?, options?, dryRun?})` : "An evacuation must be an object {targetHostIds?, options?, dryRun?}") },
);

export type EvacuateRequest = z.input<typeof evacuateRequestSchema>;

export type MigrationRequest = z.input<typeof migrationRequestSchema>;
export type MigrationRequestParsed = z.output<typeof migrationRequestSchema>;

export const migrationIdSchema = id("migration id");

/** GET /api/v1/migrations/{id}/export?format=json|csv */
export const exportQuerySchema = z.object({
  format: z.enum(["json", "csv"], { message: "format must be json or csv" }).default("json").describe("json (the API's shape) or csv (one row per container)"),
});
