import { NextResponse } from "next/server";
import { apiRoute, jsonBody } from "@/lib/api";
import { deleteHost, getHost, toPublicHost, updateHost } from "@/lib/hosts/service";
import { hostIdSchema, hostPatchSchema } from "@/lib/validations/host";

export const dynamic = "force-dynamic";

type Ctx = { params: Promise<{ id: string }> };
const idOf = async (ctx: Ctx) => hostIdSchema.parse((await ctx.params).id);

export const GET = apiRoute(async (_req, ctx: Ctx) => NextResponse.json(toPublicHost(await getHost(await idOf(ctx)))));

/** The hosts page's edit form: the fields sent change, the rest stay (updateHost, hostPatchSchema). */
export const PATCH = apiRoute(async (req, ctx: Ctx) => {
  const id = await idOf(ctx);
  return NextResponse.json(toPublicHost(await updateHost(id, hostPatchSchema.parse(await jsonBody(req)))));
});

/** The hosts page's Remove: 204, or 409 while a batch that has not ended moves containers from or to it. */
export const DELETE = apiRoute(async (_req, ctx: Ctx) => {
  await deleteHost(await idOf(ctx));
  return new NextResponse(null, { status: 204 });
});
