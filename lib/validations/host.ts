import { z } from "zod";
import { EndpointError, parseEndpoint } from "@/lib/docker/endpoint";

const pem = (what: string) =>
  z
    .string({ message: `${what} must be text` })
    .trim()
    .max(32_768, `${what} is longer than 32 KiB`)
    .refine((v) => v === "" || /-----BEGIN [A-Z0-9 ]+-----[\s\S]+-----END [A-Z0-9 ]+-----/.test(v), {
      message: `${what} must be PEM text (-----BEGIN ...-----)`,
    })
    .transform((v) => (v === "" ? undefined : v))
    .optional()
    .describe(`${what} (PEM); write-only: answers only say whether it is set`);

const fromText = (v: unknown) => (typeof v === "string" && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v);
const wholeNumber = (min: number, max: number, message: string) => z.number({ message }).int(message).min(min, message).max(max, message);

/**
 * A whole number, from a form field (text) or JSON (a number). Only digits are read from text:
 * z.coerce would take true as 1, [] as 0 and "1e3" as 1000.
 */
function optionalInt(min: number, max: number, message: string) {
  return z.preprocess((v) => (v === "" || v === null ? undefined : fromText(v)), wholeNumber(min, max, message).optional());
}

/** For an edit: left out keeps the stored value; null (an empty form field) goes back to the default. */
function resettableInt(min: number, max: number, message: string) {
  return z.preprocess((v) => (v === "" ? null : fromText(v)), wholeNumber(min, max, message).nullable().optional());
}

/** tcp:// without a port is refused: Docker uses 2375 in the clear and 2376 with TLS, so a default would guess. */
const TCP_WITHOUT_PORT = /^tcp:\/\/(?:[^@/]*@)?(?:\[[^\]]*\]|[^:/\[]+)\/?$/i;

export const hostNameSchema = z
  .string({ message: "Name must be text" })
  .trim()
  .min(1, "Name is required")
  .max(63, "Name has at most 63 characters")
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "Name may use letters, digits, '.', '_' and '-', starting with a letter or digit")
  .describe("unique among hosts");

export const endpointSchema = z
  .string({ message: "Endpoint must be text, such as unix:///var/run/docker.sock" })
  .trim()
  .min(1, "Endpoint is required")
  .max(300, "Endpoint has at most 300 characters")
  .superRefine((v, ctx) => {
    if (v.length > 300) return; // said above; not parsed
    try {
      parseEndpoint(v);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: `${err instanceof EndpointError ? err.message : String(err)}` });
      return;
    }
    if (TCP_WITHOUT_PORT.test(v)) ctx.addIssue({ code: "custom", message: "a tcp endpoint needs a port: tcp://host:2376 (TLS) or tcp://host:2375" });
  })
  .describe("unix:///path, tcp://host:port (2375 in the clear, 2376 with TLS) or ssh://user@host[:port] (needs sshKey)");

const MEMORY_BUDGET = [64, 16 * 1024 * 1024, "Memory budget must be a whole number of MiB from 64 to 16777216 (16 TiB)"] as const;
const MAX_CONCURRENCY = [1, 32, "Concurrent migrations must be between 1 and 32"] as const;

const LIMIT_TEXT = {
  memoryBudgetMiB: "the most memory (MiB) migrations may take on this host as a target; default 80% of its memory",
  maxConcurrency: "the most migrations at once from or to this host; default the batch's setting",
};

const secrets = {
  tlsCa: pem("CA certificate"),
  tlsCert: pem("Client certificate"),
  tlsKey: pem("Client key"),
  sshKey: pem("SSH private key"),
};

const unknownKeys = (what: string) => ({
  error: (iss: { code: string; keys?: string[] }) => (iss.code === "unrecognized_keys" ? `Unknown field(s): ${iss.keys?.join(", ")}` : what),
});

/** Registering a host: the same schema serves the form, the API and tests. */
export const hostInputSchema = z.strictObject(
  {
    name: hostNameSchema,
    endpoint: endpointSchema,
    ...secrets,
    /** Migration limits; empty means the default (80% of the host's memory; the batch's setting). */
    memoryBudgetMiB: optionalInt(...MEMORY_BUDGET).describe(LIMIT_TEXT.memoryBudgetMiB),
    maxConcurrency: optionalInt(...MAX_CONCURRENCY).describe(LIMIT_TEXT.maxConcurrency),
  },
  unknownKeys("The host must be an object with name and endpoint"),
);

/**
 * Editing a host (the hosts page's edit form and PATCH /api/v1/hosts/{id}): every field may be left
 * out and keeps what is stored. Empty TLS/SSH fields keep the stored material unless clearSecrets
 * is true (then only what is sent is kept); a limit set to null (an empty form field) goes back to
 * the default.
 */
export const hostPatchSchema = z.strictObject(
  {
    name: hostNameSchema.optional(),
    endpoint: endpointSchema.optional(),
    ...secrets,
    clearSecrets: z.boolean({ message: "clearSecrets must be true or false" }).optional().describe("forget the stored TLS material and SSH key not sent in this change"),
    forgetHostKey: z
      .boolean({ message: "forgetHostKey must be true or false" })
      .optional()
      .describe("forget the pinned SSH host key (the host was reinstalled); the next successful connection pins the key it presents"),
    maintenance: z
      .boolean({ message: "maintenance must be true or false" })
      .optional()
      .describe("true: the host takes no new containers (pre-flight refuses it as a target); false: it takes them again"),
    memoryBudgetMiB: resettableInt(...MEMORY_BUDGET).describe(`${LIMIT_TEXT.memoryBudgetMiB}; null: back to the default`),
    maxConcurrency: resettableInt(...MAX_CONCURRENCY).describe(`${LIMIT_TEXT.maxConcurrency}; null: back to the default`),
  },
  unknownKeys("The change must be an object of the fields to change"),
);

export type HostInput = z.input<typeof hostInputSchema>;
export type HostInputParsed = z.output<typeof hostInputSchema>;
export type HostPatch = z.input<typeof hostPatchSchema>;

export const hostIdSchema = z
  .string({ message: "a host id is text" })
  .regex(/^[A-Za-z0-9_-]{1,64}$/, "not a host id (1-64 letters, digits, '_' or '-')");

/** Field errors keyed by field name, as forms and the API return them. */
export function fieldErrors(error: z.ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = issue.path.join(".") || "_";
    (out[key] ??= []).push(issue.message);
  }
  return out;
}
