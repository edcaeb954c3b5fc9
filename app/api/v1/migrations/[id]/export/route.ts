import { NextResponse } from "next/server";
import { apiRoute } from "@/lib/api";
import { getMigration } from "@/lib/migration/service";
import { migrationCsv } from "@/lib/migration/stats";
import { exportQuerySchema, migrationIdSchema } from "@/lib/validations/migration";

export const dynamic = "force-dynamic";

/** A batch as a download: JSON (the API's shape) or CSV (one row per container). */
export const GET = apiRoute(async (req, ctx: { params: Promise<{ id: string }> }) => {
  const id = migrationIdSchema.parse((await ctx.params).id);
  const { format } = exportQuerySchema.parse({ format: new URL(req.url).searchParams.get("format") ?? undefined });
  const m = await getMigration(id);
  const file = `ferry-migration-${m.createdAt.slice(0, 10)}-${id}.${format}`;
  const headers = { "Content-Disposition": `attachment; filename="${file}"`, "Cache-Control": "no-store" };
  if (format === "csv") return new NextResponse(migrationCsv(m), { headers: { ...headers, "Content-Type": "text/csv; charset=utf-8" } });
  return new NextResponse(JSON.stringify(m, null, 2), { headers: { ...headers, "Content-Type": "application/json" } });
});
