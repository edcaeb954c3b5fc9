import { NextResponse } from "next/server";
import { apiRoute, jsonBody } from "@/lib/api";
import { assertCursor, listBatches } from "@/lib/migration/history";
import { getMigration, startMigration } from "@/lib/migration/service";
import { historyQuerySchema, pageSchema } from "@/lib/validations/history";
import { migrationRequestSchema } from "@/lib/validations/migration";

export const dynamic = "force-dynamic";

/** Starts a batch: 202 with the migration (it runs in the background). */
export const POST = apiRoute(async (req, _ctx, caller) => {
  const input = migrationRequestSchema.parse(await jsonBody(req));
  const { id } = await startMigration(input, `${caller.kind}:${caller.name}`);
  return NextResponse.json(await getMigration(id), { status: 202, headers: { Location: `/api/v1/migrations/${id}` } });
});

/** Batches newest first with their summary figures: ?limit=25&cursor=<id>&host=&outcome=&from=&to= (400 for a date that is not one). */
export const GET = apiRoute(async (req) => {
  const q = Object.fromEntries(new URL(req.url).searchParams);
  const page = pageSchema.parse({ limit: q.limit, cursor: q.cursor });
  const filter = historyQuerySchema.parse(q);
  await assertCursor(page.cursor);
  const { batches, nextCursor } = await listBatches(filter, page);
  return NextResponse.json({ migrations: batches, nextCursor });
});
