import { z } from "zod";
import { EndpointError, parseEndpoint } from "@/lib/docker/endpoint";

const pem = (what: string) =>
  z
    .string()
    .trim()
    .max(32_768, `${what} is longer than 32 KiB`)
    .refine((v) => v === "" || /-----BEGIN [A-Z0-9 ]+-----[\s\S]+-----END [A-Z0-9 ]+-----/.test(v), {
      message: `${what} must be PEM text (-----BEGIN ...-----)`,
    })
    .transform((v) => (v === "" ? undefined : v))
    .optional();

function optionalInt(min: number, max: number, message: string) {
  return z.preprocess(
    (v) => (v === "" || v === null ? undefined : v),
    z.coerce.number({ message }).int(message).min(min, message).max(max, message).optional(),
  );
}

export const hostNameSchema = z
  .string()
  .trim()
  .min(1, "Name is required")
  .max(63, "Name has at most 63 characters")
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "Name may use letters, digits, '.', '_' and '-', starting with a letter or digit");

export const endpointSchema = z
  .string()
  .trim()
  .min(1, "Endpoint is required")
  .max(300)
  .superRefine((v, ctx) => {
    try {
      parseEndpoint(v);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: err instanceof EndpointError ? err.message : String(err) });
    }
  });

/** Registering or editing a host: the same schema serves the form, the API and tests. */
export const hostInputSchema = z.object({
  name: hostNameSchema,
  endpoint: endpointSchema,
  tlsCa: pem("CA certificate"),
  tlsCert: pem("Client certificate"),
  tlsKey: pem("Client key"),
  sshKey: pem("SSH private key"),
  /** Migration limits; empty means the default (80% of the host's memory; the batch's setting). */
  memoryBudgetMiB: optionalInt(64, 16 * 1024 * 1024, "Memory budget must be a whole number of MiB, at least 64"),
  maxConcurrency: optionalInt(1, 32, "Concurrent migrations must be between 1 and 32"),
});

export type HostInput = z.input<typeof hostInputSchema>;
export type HostInputParsed = z.output<typeof hostInputSchema>;

export const hostIdSchema = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, "not a host id");

/** Field errors keyed by field name, as forms and the API return them. */
export function fieldErrors(error: z.ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = issue.path.join(".") || "_";
    (out[key] ??= []).push(issue.message);
  }
  return out;
}
