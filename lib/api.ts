import "server-only";
import { NextResponse } from "next/server";
import { ZodError } from "zod";
import { bodyTypeRefusal, originRefusal } from "@/lib/auth/browser-policy";
import { requireApiCaller, UnauthenticatedError } from "@/lib/auth/current";
import { DockerError } from "@/lib/docker/errors";
import { InputError } from "@/lib/errors";
import { HostInUseError, HostNotFoundError } from "@/lib/hosts/service";
import { MigrationConflictError, MigrationNotFoundError } from "@/lib/migration/service";
import { fieldErrors } from "@/lib/validations/host";

type Caller = Awaited<ReturnType<typeof requireApiCaller>>;

export function apiError(status: number, code: string, message: string, extra: Record<string, unknown> = {}) {
  return NextResponse.json({ error: { code, message, ...extra } }, { status });
}

/** Largest request body /api/v1 reads (a 1000-container batch is about 100 KB). */
export const MAX_BODY_BYTES = 1024 * 1024;

export class BodyTooLargeError extends Error {
  readonly code = "BODY_TOO_LARGE";
  constructor() {
    super(`The request body is larger than ${MAX_BODY_BYTES / 1024} KiB`);
  }
}

/** "field: message; other: message": what a 400 says at the top, so a script's log names the cause. */
export function describeFields(fields: Record<string, string[]>): string {
  const parts = Object.entries(fields).map(([k, msgs]) => (k === "_" ? msgs.join("; ") : `${k}: ${msgs.join("; ")}`));
  const text = parts.join("; ");
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}

function inputMessage(message: string, fields: Record<string, string[]>): string {
  const detail = describeFields(fields);
  if (!detail || Object.values(fields).every((m) => m.length === 1 && m[0] === message)) return message;
  return `${message}: ${detail}`;
}

/**
 * Wraps a /api/v1 handler: authentication first, then (for the session cookie) the browser's
 * origin, then a body must be JSON, then expected errors as JSON with a status. Bearer tokens are
 * not subject to the origin check: a browser never attaches them on its own, so another site
 * cannot ride on them.
 */
export function apiRoute<Ctx>(handler: (req: Request, ctx: Ctx, caller: Caller) => Promise<Response>) {
  return async (req: Request, ctx: Ctx): Promise<Response> => {
    try {
      const caller = await requireApiCaller();
      const refusal = (caller.kind === "session" ? originRefusal(req.method, req.headers) : null) ?? bodyTypeRefusal(req.method, req.headers);
      if (refusal) return apiError(refusal.status, refusal.code, refusal.message);
      return await handler(req, ctx, caller);
    } catch (err) {
      if (err instanceof UnauthenticatedError) return apiError(401, err.code, err.message);
      if (err instanceof BodyTooLargeError) return apiError(413, err.code, err.message);
      if (err instanceof ZodError) {
        const fields = fieldErrors(err);
        return apiError(400, "INVALID_INPUT", inputMessage("Invalid input", fields), { fields });
      }
      if (err instanceof InputError) return apiError(400, "INVALID_INPUT", inputMessage(err.message, err.fieldErrors), { fields: err.fieldErrors });
      if (err instanceof HostNotFoundError || err instanceof MigrationNotFoundError) return apiError(404, err.code, err.message);
      if (err instanceof MigrationConflictError) return apiError(409, err.code, err.message, { containers: err.containers });
      if (err instanceof HostInUseError) return apiError(409, err.code, err.message, { migrationId: err.migrationId });
      if (err instanceof DockerError) return apiError(502, err.code, err.message);
      console.error("[ferry] API error:", err);
      return apiError(500, "INTERNAL", "Unexpected error; see the server log");
    }
  };
}

/**
 * Reads a JSON body of at most MAX_BODY_BYTES (413 beyond, counted as it arrives, whatever
 * Content-Length claimed), answering 400 for anything that is not JSON.
 */
export async function jsonBody(req: Request): Promise<unknown> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw new BodyTooLargeError();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (req.body) {
    const reader = req.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_BODY_BYTES) {
        await reader.cancel().catch(() => undefined);
        throw new BodyTooLargeError();
      }
      chunks.push(value);
    }
  }
  const text = Buffer.concat(chunks).toString("utf8");
  const bad = (message: string) => new ZodError([{ code: "custom", path: [], message, input: undefined }]);
  if (!text.trim()) throw bad("The body is empty; send a JSON object");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw bad(`The body is not valid JSON (${err instanceof Error ? err.message.slice(0, 120) : "parse error"})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad(`The body must be a JSON object, not ${value === null ? "null" : Array.isArray(value) ? "an array" : typeof value}`);
  return value;
}
