import { NextResponse } from "next/server";
import { apiRoute, jsonBody } from "@/lib/api";
import { getMigration, listMigrations, startMigration } from "@/lib/migration/service";
import { migrationRequestSchema } from "@/lib/validations/migration";

export const dynamic = "force-dynamic";

/** Starts a batch: 202 with the migration (it runs in the background). */
export const POST = apiRoute(async (req, _ctx, caller) => {
  const input = migrationRequestSchema.parse(await jsonBody(req));
  const { id } = await startMigration(input, `${caller.kind}:${caller.name}`);
  return NextResponse.json(await getMigration(id), { status: 202, headers: { Location: `/api/v1/migrations/${id}` } });
});

export const GET = apiRoute(async () => NextResponse.json({ migrations: await listMigrations(100) }));
