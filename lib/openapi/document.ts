import { z } from "zod";
import { batchSummarySchema, containerSchema, errorSchema, evacuationSchema, hostListingErrorSchema, hostSchema, migrationSchema } from "@/lib/openapi/responses";
import { containerQuerySchema } from "@/lib/validations/containers";
import { historyQuerySchema, pageSchema } from "@/lib/validations/history";
import { hostIdSchema, hostInputSchema, hostPatchSchema } from "@/lib/validations/host";
import { evacuateRequestSchema, exportQuerySchema, migrationIdSchema, migrationRequestSchema } from "@/lib/validations/migration";

/**
 * The OpenAPI 3.1 document of /api/v1 (GET /api/v1/openapi.json), generated from the zod schemas
 * the route handlers parse with (bodies, query strings, ids) and the response schemas in
 * responses.ts. One entry per handler below; tests/unit/openapi.test.ts fails when a route file
 * under app/api/v1 exports a method this table does not describe.
 */

type Schema = z.ZodType;
type Json = Record<string, unknown>;

/** JSON Schema (2020-12, which OpenAPI 3.1 uses) of what a caller sends (input) or receives (output). */
function jsonSchema(schema: Schema, io: "input" | "output"): Json {
  const out = z.toJSONSchema(schema, { io, target: "draft-2020-12", unrepresentable: "any" }) as Json;
  delete out.$schema; // the document's jsonSchemaDialect says it once
  return out;
}

/** Named schemas under components.schemas: requests as sent, responses as received. */
const REQUESTS = { HostInput: hostInputSchema, HostPatch: hostPatchSchema, MigrationRequest: migrationRequestSchema, EvacuateRequest: evacuateRequestSchema } satisfies Record<string, Schema>;
const RESPONSES = { Host: hostSchema, Container: containerSchema, HostListingError: hostListingErrorSchema, Migration: migrationSchema, BatchSummary: batchSummarySchema, Evacuation: evacuationSchema, Error: errorSchema } satisfies Record<string, Schema>;
type Named = keyof typeof REQUESTS | keyof typeof RESPONSES;
const ref = (name: Named) => ({ $ref: `#/components/schemas/${name}` });

/** Query parameters from an object schema: one per key, required when the schema says so. */
function queryParameters(...schemas: z.ZodObject[]): Json[] {
  return schemas.flatMap((s) => {
    const json = jsonSchema(s, "input") as { properties?: Record<string, Json>; required?: string[] };
    return Object.entries(json.properties ?? {}).map(([name, schema]) => {
      const { description, ...rest } = schema;
      return { name, in: "query", required: json.required?.includes(name) ?? false, ...(description ? { description } : {}), schema: rest };
    });
  });
}

const idParameter = (schema: Schema, what: string) => ({ name: "id", in: "path", required: true, description: `the ${what}'s id`, schema: jsonSchema(schema, "input") });

const json = (schema: Json, description: string) => ({ description, content: { "application/json": { schema } } });
const problem = (description: string) => json(ref("Error"), description);

/** The answers every handler may give besides its own. */
const COMMON = {
  "401": problem("no session cookie and no valid API token (UNAUTHENTICATED)"),
  "403": problem("the session cookie from another origin (FOREIGN_ORIGIN), or a change with the cookie and no Origin (ORIGIN_REQUIRED)"),
  "500": problem("a bug; the server log has the details (INTERNAL)"),
};
const WITH_BODY = {
  "400": problem("a field is missing, of the wrong type or out of range, or an unknown field was sent: `message` names each field and its cause, `fields` lists them (INVALID_INPUT)"),
  "413": problem("the body is larger than 1 MiB (BODY_TOO_LARGE)"),
  "415": problem("the body is not application/json (UNSUPPORTED_MEDIA_TYPE)"),
};
const BAD_INPUT = { "400": problem("a bad id or query parameter, named in `message` and `fields` (INVALID_INPUT)") };
const NO_HOST = { "404": problem("no host with that id (HOST_NOT_FOUND)") };
const NO_MIGRATION = { "404": problem("no migration with that id (MIGRATION_NOT_FOUND)") };

type Operation = { summary: string; description?: string; parameters?: Json[]; requestBody?: Json; responses: Record<string, Json> };
const body = (name: keyof typeof REQUESTS) => ({ required: true, content: { "application/json": { schema: ref(name) } } });

/** Every handler under app/api/v1, by path and method. */
export const OPERATIONS: Record<string, Partial<Record<"get" | "post" | "patch" | "delete", Operation>>> = {
  "/api/v1/openapi.json": {
    get: {
      summary: "This document",
      description: "Authenticated like every other /api/v1 call (docs/architecture.md, API).",
      responses: { "200": json({ type: "object", description: "an OpenAPI 3.1 document" }, "the OpenAPI document of /api/v1") },
    },
  },
  "/api/v1/hosts": {
    get: { summary: "Hosts with their health", responses: { "200": json({ type: "object", properties: { hosts: { type: "array", items: ref("Host") } }, required: ["hosts"] }, "every registered host, by name") } },
    post: {
      summary: "Register a host",
      description: "Checks the host at once; an unreachable host is saved with its error in healthError.",
      requestBody: body("HostInput"),
      responses: { "201": json(ref("Host"), "the host as registered"), ...WITH_BODY },
    },
  },
  "/api/v1/hosts/{id}": {
    get: { summary: "One host", parameters: [idParameter(hostIdSchema, "host")], responses: { "200": json(ref("Host"), "the host"), ...BAD_INPUT, ...NO_HOST } },
    patch: {
      summary: "Edit a host (the hosts page's edit form)",
      description:
        "Only the fields sent change. TLS material and the SSH key are write-only: an empty or missing one keeps what is stored, clearSecrets: true forgets the stored ones not sent in the same call; the answer only says whether they are set (hasTls, hasSshKey). memoryBudgetMiB or maxConcurrency null goes back to the default. The host is checked again at once.",
      parameters: [idParameter(hostIdSchema, "host")],
      requestBody: body("HostPatch"),
      responses: { "200": json(ref("Host"), "the host as changed"), ...WITH_BODY, ...NO_HOST },
    },
    delete: {
      summary: "Remove a host (its containers keep running)",
      parameters: [idParameter(hostIdSchema, "host")],
      responses: {
        "204": { description: "removed" },
        ...BAD_INPUT,
        ...NO_HOST,
        "409": problem("a migration that has not ended moves containers from or to this host (HOST_IN_USE, with its migrationId)"),
      },
    },
  },
  "/api/v1/hosts/{id}/evacuate": {
    post: {
      summary: "Evacuate a host: move every running container to the other hosts",
      description:
        "Plans every running container of the host onto the other hosts (or the targetHostIds given): each goes to the host with the most free memory budget that passes pre-flight for it, in the containers table's order. A container no host can take stays running where it is; the plan says why. With dryRun: true the plan is the whole answer and nothing changes. Otherwise the host is put into maintenance (it takes no new containers; PATCH maintenance: false ends it) and one batch with a target per item starts; follow it with GET /api/v1/migrations/{id}.",
      parameters: [idParameter(hostIdSchema, "host")],
      requestBody: body("EvacuateRequest"),
      responses: {
        "200": json(ref("Evacuation"), "the plan (dryRun, or the host runs no container: it is in maintenance all the same)"),
        "202": { ...json(ref("Evacuation"), "the plan and the batch that carries it out"), headers: { Location: { schema: { type: "string" }, description: "the batch's URL" } } },
        ...WITH_BODY,
        ...NO_HOST,
        "502": problem("the host's containers could not be listed: the code and cause from Docker"),
      },
    },
  },
  "/api/v1/hosts/{id}/containers": {
    get: {
      summary: "One host's containers",
      parameters: [idParameter(hostIdSchema, "host")],
      responses: {
        "200": json({ type: "object", properties: { hostId: { type: "string" }, hostName: { type: "string" }, containers: { type: "array", items: ref("Container") } }, required: ["hostId", "hostName", "containers"] }, "the host's containers"),
        ...BAD_INPUT,
        ...NO_HOST,
        "502": problem("the host could not be listed: the code and cause from Docker (UNREACHABLE, TIMEOUT, TLS, ...)"),
      },
    },
  },
  "/api/v1/containers": {
    get: {
      summary: "Containers across all hosts, filtered",
      description: "Hosts are asked in parallel. A host that cannot be listed is an entry in `errors`, never a failure of the call.",
      parameters: queryParameters(containerQuerySchema),
      responses: {
        "200": json(
          {
            type: "object",
            properties: {
              containers: { type: "array", items: ref("Container"), description: "by host name, then container name (the containers page's order)" },
              errors: { type: "array", items: ref("HostListingError"), description: "one per host that could not be listed" },
            },
            required: ["containers", "errors"],
          },
          "the containers that pass the filters",
        ),
        "400": problem("an unknown filter, a bad value, or a host filter that names no host (INVALID_INPUT)"),
      },
    },
  },
  "/api/v1/migrations": {
    get: {
      summary: "Batches, newest first, with summary figures",
      parameters: queryParameters(pageSchema, historyQuerySchema),
      responses: {
        "200": json({ type: "object", properties: { migrations: { type: "array", items: ref("BatchSummary") }, nextCursor: { type: ["string", "null"] } }, required: ["migrations", "nextCursor"] }, "a page of batches"),
        ...BAD_INPUT,
      },
    },
    post: {
      summary: "Start a batch",
      description:
        "Items move in the order given (their seq), each to its own targetHostId or to the batch's. A target in maintenance takes nothing (those items are skipped with the reason). The batch runs in the background; follow it with GET /api/v1/migrations/{id}.",
      requestBody: body("MigrationRequest"),
      responses: {
        "202": { ...json(ref("Migration"), "the batch as recorded (pre-flight refusals are already skipped items)"), headers: { Location: { schema: { type: "string" }, description: "the batch's URL" } } },
        ...WITH_BODY,
        "409": problem("a container is already being migrated (MIGRATION_CONFLICT, with containers)"),
      },
    },
  },
  "/api/v1/migrations/{id}": {
    get: { summary: "One batch, item by item", parameters: [idParameter(migrationIdSchema, "migration")], responses: { "200": json(ref("Migration"), "the batch"), ...BAD_INPUT, ...NO_MIGRATION } },
  },
  "/api/v1/migrations/{id}/cancel": {
    post: {
      summary: "Cancel a batch",
      description: "Stops admitting items; those in flight finish or roll back. A batch that has ended is returned as it is.",
      parameters: [idParameter(migrationIdSchema, "migration")],
      responses: { "202": json(ref("Migration"), "the batch with cancelRequested"), ...BAD_INPUT, ...NO_MIGRATION },
    },
  },
  "/api/v1/migrations/{id}/export": {
    get: {
      summary: "Download a batch",
      parameters: [idParameter(migrationIdSchema, "migration"), ...queryParameters(exportQuerySchema)],
      responses: {
        "200": {
          description: "an attachment: JSON (the Migration shape) or CSV (one row per container: name, source host, target host, status, downtimeMs, bytes, one column per phase in ms, error)",
          content: { "application/json": { schema: ref("Migration") }, "text/csv": { schema: { type: "string" } } },
        },
        ...BAD_INPUT,
        ...NO_MIGRATION,
      },
    },
  },
};

export function openApiDocument(): Json {
  const paths = Object.fromEntries(
    Object.entries(OPERATIONS).map(([path, ops]) => [path, Object.fromEntries(Object.entries(ops).map(([method, op]) => [method, { ...op, responses: { ...op.responses, ...COMMON } }]))]),
  );
  return {
    openapi: "3.1.0",
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    info: {
      title: "Ferry API",
      version: "1",
      description:
        "Live-migrate Docker containers between hosts. Every call needs a session cookie or an API token (Settings → API tokens, or FERRY_API_TOKEN). With the cookie, calls from another Origin are refused, and so are changes without an Origin; scripts use the token. Bodies are JSON objects of at most 1 MiB.",
    },
    servers: [{ url: "/" }],
    security: [{ bearerToken: [] }, { sessionCookie: [] }],
    paths,
    components: {
      securitySchemes: {
        bearerToken: { type: "http", scheme: "bearer", description: "Authorization: Bearer <token>; tokens are created under Settings and shown once" },
        sessionCookie: { type: "apiKey", in: "cookie", name: "ferry_session", description: "the dashboard's session; only from Ferry's own Origin" },
      },
      schemas: {
        ...Object.fromEntries(Object.entries(REQUESTS).map(([name, s]) => [name, jsonSchema(s, "input")])),
        ...Object.fromEntries(Object.entries(RESPONSES).map(([name, s]) => [name, jsonSchema(s, "output")])),
      },
    },
  };
}
