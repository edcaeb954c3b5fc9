import { NextResponse } from "next/server";
import { apiError, apiRoute } from "@/lib/api";
import { listHostContainers } from "@/lib/hosts/containers";
import { getHost } from "@/lib/hosts/service";
import { hostIdSchema } from "@/lib/validations/host";

export const dynamic = "force-dynamic";

export const GET = apiRoute(async (_req, ctx: { params: Promise<{ id: string }> }) => {
  const host = await getHost(hostIdSchema.parse((await ctx.params).id));
  const result = await listHostContainers(host);
  if (!result.ok) return apiError(502, result.code, result.error);
  return NextResponse.json({ hostId: host.id, hostName: host.name, containers: result.containers });
});
