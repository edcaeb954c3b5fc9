import "server-only";
import { requireUser } from "@/lib/auth/current";
import { db } from "@/lib/db";
import { historyCharts, listBatches, retentionDays } from "@/lib/migration/history";
import { pageSchema, parseHistoryQuery } from "@/lib/validations/history";

/** The History page's data. A bad filter field is left out and reported in `errors`, never a crash. */
export async function fetchHistory(params: Record<string, string | string[] | undefined>) {
  await requireUser();
  const q = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
  const { filter, errors } = parseHistoryQuery(q);
  const page = pageSchema.safeParse({ limit: q.limit, cursor: q.cursor });
  const [list, charts, hosts] = await Promise.all([
    listBatches(filter, page.success ? page.data : { limit: 25 }),
    historyCharts(filter),
    db.host.findMany({ select: { id: true, name: true }, orderBy: { name: "asc" } }),
  ]);
  return { filter, errors, ...list, charts, hosts };
}

export async function fetchRetentionDays(): Promise<number> {
  await requireUser();
  return retentionDays();
}
