import { NextResponse } from "next/server";
import { apiRoute, jsonBody } from "@/lib/api";
import { evacuateHost } from "@/lib/migration/evacuate";
import { hostIdSchema } from "@/lib/validations/host";
import { evacuateRequestSchema } from "@/lib/validations/migration";

export const dynamic = "force-dynamic";

type Ctx = { params: Promise<{ id: string }> };

/** The hosts page's "Evacuate": the plan (dryRun), or the plan and the batch that carries it out (202). */
export const POST = apiRoute(async (req, ctx: Ctx, caller) => {
  const id = hostIdSchema.parse((await ctx.params).id);
  const body = evacuateRequestSchema.parse(await jsonBody(req));
  const result = await evacuateHost(id, body, `${caller.kind}:${caller.name}`);
  if (!result.migration) return NextResponse.json(result);
  return NextResponse.json(result, { status: 202, headers: { Location: `/api/v1/migrations/${result.migration.id}` } });
});
