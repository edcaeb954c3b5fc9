import { NextResponse } from "next/server";
import { apiRoute } from "@/lib/api";
import { getMigration } from "@/lib/migration/service";
import { migrationIdSchema } from "@/lib/validations/migration";

export const dynamic = "force-dynamic";

export const GET = apiRoute(async (_req, ctx: { params: Promise<{ id: string }> }) =>
  NextResponse.json(await getMigration(migrationIdSchema.parse((await ctx.params).id))),
);
