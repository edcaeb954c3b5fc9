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

export const migrationRequestSchema = z
  .strictObject(
    {
      targetHostId: id("host id"),
      items: z
        .array(
          z.strictObject(
            { hostId: id("host id"), containerId },
            { error: (iss) => (iss.code === "unrecognized_keys" ? `Unknown field(s) in an item: ${iss.keys.join(", ")} (an item is {hostId, containerId})` : "an item is {hostId, containerId}") },
          ),
          { message: "items must be a list of {hostId, containerId}" },
        )
        .min(1, "Select at least one container")
        .max(1000, "At most 1000 containers per batch"),
      options: migrationOptionsSchema.optional(),
    },
    { error: (iss) => (iss.code === "unrecognized_keys" ? `Unknown field(s): ${iss.keys.join(", ")} (a batch is {targetHostId, items, options})` : "A batch must be an object {targetHostId, items, options}") },
  )
  .superRefine((v, ctx) => {
    const seen = new Set<string>();
    v.items.forEach((item, i) => {
      const key = `${item.hostId}/${item.containerId}`;
      if (seen.has(key)) ctx.addIssue({ code: "custom", path: ["items", i], message: `${item.containerId} is listed twice` });
      seen.add(key);
    });
  });

export type MigrationRequest = z.input<typeof migrationRequestSchema>;
export type MigrationRequestParsed = z.output<typeof migrationRequestSchema>;

export const migrationIdSchema = id("migration id");

/** GET /api/v1/migrations/{id}/export?format=json|csv */
export const exportQuerySchema = z.object({
  format: z.enum(["json", "csv"], { message: "format must be json or csv" }).default("json").describe("json (the API's shape) or csv (one row per container)"),
});
