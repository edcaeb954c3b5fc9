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
    .optional();

/**
 * A whole number, from a form field (text) or JSON (a number). Only digits are read from text:
 * z.coerce would take true as 1, [] as 0 and "1e3" as 1000.
 */
function optionalInt(min: number, max: number, message: string) {
  return z.preprocess(
    (v) => (v === "" || v === null ? undefined : typeof v === "string" && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v),
    z.number({ message }).int(message).min(min, message).max(max, message).optional(),
  );
}

/** tcp:// without a port is refused: Docker uses 2375 in the clear and 2376 with TLS, so a default would guess. */
const TCP_WITHOUT_PORT = /^tcp:\/\/(?:[^@/]*@)?(?:\[[^\]]*\]|[^:/\[]+)\/?$/i;

export const hostNameSchema = z
  .string({ message: "Name must be text" })
  .trim()
  .min(1, "Name is required")
  .max(63, "Name has at most 63 characters")
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "Name may use letters, digits, '.', '_' and '-', starting with a letter or digit");

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
  });

/** Registering or editing a host: the same schema serves the form, the API and tests. */
export const hostInputSchema = z.strictObject(
  {
  name: hostNameSchema,
  endpoint: endpointSchema,
  tlsCa: pem("CA certificate"),
  tlsCert: pem("Client certificate"),
  tlsKey: pem("Client key"),
  sshKey: pem("SSH private key"),
  /** Migration limits; empty means the default (80% of the host's memory; the batch's setting). */
  memoryBudgetMiB: optionalInt(64, 16 * 1024 * 1024, "Memory budget must be a whole number of MiB from 64 to 16777216 (16 TiB)"),
  maxConcurrency: optionalInt(1, 32, "Concurrent migrations must be between 1 and 32"),
  },
  { error: (iss) => (iss.code === "unrecognized_keys" ? `Unknown field(s): ${iss.keys.join(", ")}` : "The host must be an object with name and endpoint") },
);

export type HostInput = z.input<typeof hostInputSchema>;
export type HostInputParsed = z.output<typeof hostInputSchema>;

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
