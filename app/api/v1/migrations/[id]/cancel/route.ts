import { NextResponse } from "next/server";
import { apiRoute } from "@/lib/api";
import { cancelMigration } from "@/lib/migration/service";
import { migrationIdSchema } from "@/lib/validations/migration";

export const dynamic = "force-dynamic";

export const POST = apiRoute(async (_req, ctx: { params: Promise<{ id: string }> }) =>
  NextResponse.json(await cancelMigration(migrationIdSchema.parse((await ctx.params).id)), { status: 202 }),
);
