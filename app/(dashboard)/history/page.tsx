import type { Metadata } from "next";
import Link from "next/link";
import { DowntimeHistogram, PerDayChart, SuccessRateChart, ThroughputChart } from "@/components/charts/charts";
import { MigrationStatusBadge } from "@/components/migrations/status";
import { TargetFiguresTable } from "@/components/migrations/target-figures";
import { fetchHistory } from "@/lib/data/history";
import { formatMs } from "@/lib/format";

export const metadata: Metadata = { title: "History" };
export const dynamic = "force-dynamic";

const OUTCOMES = ["done", "rolled-back", "skipped", "failed"] as const;

export default async function HistoryPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const { filter, errors, batches, nextCursor, charts, hosts } = await fetchHistory(params);
  const keep = new URLSearchParams(Object.entries(filter).filter(([, v]) => v) as [string, string][]);
  const field = "rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm dark:border-slate-700 dark:bg-slate-900";
  const empty = batches.length === 0 && !params.cursor;
  return (
    <div className="space-y-6">
      <header>
        <h1 className="text-2xl font-semibold">History</h1>
        <p className="text-sm text-slate-600 dark:text-slate-400">Every batch, newest first: what moved, how long each container was down, what failed and why.</p>
      </header>

      <form className="flex flex-wrap items-end gap-3" aria-label="Filter history">
        <label className="text-sm">
          <span className="mb-1 block text-xs text-slate-500">Host</span>
          <select name="host" defaultValue={filter.host ?? ""} className={field} aria-label="Host">
            <option value="">All hosts</option>
            {hosts.map((h) => (
              <option key={h.id} value={h.id}>
                {h.name}
              </option>
            ))}
          </select>
        </label>
        <label className="text-sm">
          <span className="mb-1 block text-xs text-slate-500">Outcome</span>
          <select name="outcome" defaultValue={filter.outcome ?? ""} className={field} aria-label="Outcome">
            <option value="">Any</option>
            <option value="done">done</option>
            <option value="failed">failed</option>
            <option value="cancelled">cancelled</option>
            <option value="running">running</option>
          </select>
        </label>
        <label className="text-sm">
          <span className="mb-1 block text-xs text-slate-500">From</span>
          <input type="date" name="from" defaultValue={filter.from ?? ""} className={field} aria-label="From" />
        </label>
        <label className="text-sm">
          <span className="mb-1 block text-xs text-slate-500">To</span>
          <input type="date" name="to" defaultValue={filter.to ?? ""} className={field} aria-label="To" />
        </label>
        <button type="submit" className="rounded-md bg-teal-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-teal-800">
          Apply
        </button>
        <Link href="/history" className="px-2 py-1.5 text-sm text-slate-600 hover:underline dark:text-slate-400">
          Clear
        </Link>
      </form>
      {errors && (
        <div role="alert" className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-200">
          {Object.values(errors)
            .flat()
            .map((m) => (
              <p key={m}>{m}</p>
            ))}
          <p className="text-xs">That filter is ignored below.</p>
        </div>
      )}

      {empty ? (
        <p className="rounded-lg border border-dashed border-slate-300 p-8 text-center text-slate-600 dark:border-slate-700 dark:text-slate-400">
          {Object.values(filter).some(Boolean) ? (
            "No migration matches these filters."
          ) : (
            <>
              No migrations yet — select containers on the{" "}
              <Link className="text-teal-700 underline" href="/containers">
                Containers
              </Link>{" "}
              page and press “Migrate selected”.
            </>
          )}
        </p>
      ) : (
        <>
          <div className="grid gap-4 lg:grid-cols-2">
            <DowntimeHistogram data={charts.downtime} subtitle={`all ${charts.items} containers in range`} />
            <PerDayChart data={charts.perDay} />
            <ThroughputChart data={charts.throughput} />
            <SuccessRateChart data={charts.successRate} />
          </div>
          {charts.perTarget.length > 0 && <TargetFiguresTable targets={charts.perTarget} title="By target host (all containers in range)" />}
          <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
            <table className="w-full text-left text-sm" aria-label="Migration history">
              <thead className="border-b border-slate-200 text-xs uppercase text-slate-500 dark:border-slate-800">
                <tr>
                  <th className="px-3 py-2">When</th>
                  <th className="px-3 py-2">Who</th>
                  <th className="px-3 py-2">Route</th>
                  <th className="px-3 py-2">Status</th>
                  {OUTCOMES.map((o) => (
                    <th key={o} className="px-3 py-2 text-right">
                      {o}
                    </th>
                  ))}
                  <th className="px-3 py-2 text-right">Total time</th>
                  <th className="px-3 py-2 text-right">Downtime p50 / p95</th>
                </tr>
              </thead>
              <tbody>
                {batches.map((b) => (
                  <tr key={b.id} className="border-b border-slate-100 last:border-0 dark:border-slate-800" data-testid="history-row">
                    <td className="px-3 py-2">
                      <Link className="text-teal-700 hover:underline dark:text-teal-400" href={`/migrations/${b.id}`}>
                        {b.createdAt.slice(0, 16).replace("T", " ")}
                      </Link>
                    </td>
                    <td className="px-3 py-2 text-xs">{b.createdBy}</td>
                    <td className="px-3 py-2 text-xs">
                      {b.sources.join(", ") || "—"} → {b.targets.join(", ") || b.targetHostName}
                      {b.evacuatedHostName && <span className="ml-1 rounded bg-amber-100 px-1 text-amber-800 dark:bg-amber-900/40 dark:text-amber-300">evacuation</span>}
                    </td>
                    <td className="px-3 py-2">
                      <MigrationStatusBadge status={b.status} />
                    </td>
                    {OUTCOMES.map((o) => (
                      <td key={o} className="px-3 py-2 text-right tabular">
                        {b.counts[o] ?? 0}
                      </td>
                    ))}
                    <td className="px-3 py-2 text-right tabular">{formatMs(b.durationMs)}</td>
                    <td className="px-3 py-2 text-right tabular">
                      {formatMs(b.downtimeP50Ms)} / {formatMs(b.downtimeP95Ms)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav className="flex gap-4 text-sm" aria-label="Pages">
            {params.cursor && (
              <Link className="text-teal-700 hover:underline dark:text-teal-400" href={`/history?${keep}`}>
                ← Newest
              </Link>
            )}
            {nextCursor && (
              <Link className="text-teal-700 hover:underline dark:text-teal-400" href={`/history?${new URLSearchParams([...keep, ["cursor", nextCursor]])}`}>
                Older →
              </Link>
            )}
          </nav>
        </>
      )}
    </div>
  );
}
