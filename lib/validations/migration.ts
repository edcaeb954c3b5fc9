import { z } from "zod";

const id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, "not an id");
const containerId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "not a container id or name");

/** Default parallelism per host, chosen by measurement (docs/migration.md, scripts/bench.ts). */
export const DEFAULT_CONCURRENCY = 2;

export const migrationOptionsSchema = z
  .object({
    keepSource: z.boolean().default(false),
    concurrency: z.number().int().min(1).max(32).default(DEFAULT_CONCURRENCY),
    /** When the name is taken on the target: refuse that container, or append "-migrated". */
    nameConflict: z.enum(["fail", "suffix"]).default("fail"),
  })
  .strict();

export type MigrationOptions = z.output<typeof migrationOptionsSchema>;

export const migrationRequestSchema = z
  .object({
    targetHostId: id,
    items: z
      .array(z.object({ hostId: id, containerId }).strict())
      .min(1, "Select at least one container")
      .max(1000, "At most 1000 containers per batch"),
    options: migrationOptionsSchema.optional(),
  })
  .strict()
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

export const migrationIdSchema = id;
