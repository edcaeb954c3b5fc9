import "server-only";
import { NextResponse } from "next/server";
import { ZodError } from "zod";
import { crossSiteRefusal } from "@/lib/auth/browser-policy";
import { requireApiCaller, UnauthenticatedError } from "@/lib/auth/current";
import { DockerError } from "@/lib/docker/errors";
import { InputError } from "@/lib/errors";
import { HostNotFoundError } from "@/lib/hosts/service";
import { MigrationConflictError, MigrationNotFoundError } from "@/lib/migration/service";
import { fieldErrors } from "@/lib/validations/host";

type Caller = Awaited<ReturnType<typeof requireApiCaller>>;

export function apiError(status: number, code: string, message: string, extra: Record<string, unknown> = {}) {
  return NextResponse.json({ error: { code, message, ...extra } }, { status });
}

/**
 * Wraps a /api/v1 handler: authentication first, then (for the session cookie) the browser's
 * origin, then expected errors as JSON with a status. Bearer tokens are not subject to the origin
 * check: a browser never attaches them on its own, so another site cannot ride on them.
 */
export function apiRoute<Ctx>(handler: (req: Request, ctx: Ctx, caller: Caller) => Promise<Response>) {
  return async (req: Request, ctx: Ctx): Promise<Response> => {
    try {
      const caller = await requireApiCaller();
      if (caller.kind === "session") {
        const refusal = crossSiteRefusal(req.method, req.headers);
        if (refusal) return apiError(refusal.status, refusal.code, refusal.message);
      }
      return await handler(req, ctx, caller);
    } catch (err) {
      if (err instanceof UnauthenticatedError) return apiError(401, err.code, err.message);
      if (err instanceof ZodError) return apiError(400, "INVALID_INPUT", "Invalid input", { fields: fieldErrors(err) });
      if (err instanceof InputError) return apiError(400, "INVALID_INPUT", err.message, { fields: err.fieldErrors });
      if (err instanceof HostNotFoundError || err instanceof MigrationNotFoundError) return apiError(404, err.code, err.message);
      if (err instanceof MigrationConflictError) return apiError(409, err.code, err.message, { containers: err.containers });
      if (err instanceof DockerError) return apiError(502, err.code, err.message);
      console.error("[ferry] API error:", err);
      return apiError(500, "INTERNAL", "Unexpected error; see the server log");
    }
  };
}

/** Parses a JSON body, answering 400 for anything that is not JSON. */
export async function jsonBody(req: Request): Promise<unknown> {
  try {
    return await req.json();
  } catch {
    throw new ZodError([{ code: "custom", path: [], message: "Body must be JSON", input: undefined }]);
  }
}
