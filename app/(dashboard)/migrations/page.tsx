import type { Metadata } from "next";
import Link from "next/link";
import { MigrationStatusBadge } from "@/components/migrations/status";
import { fetchMigrations } from "@/lib/data/migrations";

export const metadata: Metadata = { title: "Migrations" };
export const dynamic = "force-dynamic";

export default async function MigrationsPage() {
  const rows = await fetchMigrations();
  return (
    <div className="space-y-6">
      <header>
        <h1 className="text-2xl font-semibold">Migrations</h1>
        <p className="text-sm text-slate-600 dark:text-slate-400">Every batch, newest first.</p>
      </header>
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
        <table className="w-full text-left text-sm" aria-label="Migrations">
          <thead className="border-b border-slate-200 text-xs uppercase text-slate-500 dark:border-slate-800">
            <tr>
              <th className="px-4 py-2">When</th>
              <th className="px-4 py-2">Route</th>
              <th className="px-4 py-2">Status</th>
              <th className="px-4 py-2">Outcome</th>
              <th className="px-4 py-2">By</th>
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 && (
              <tr>
                <td colSpan={5} className="px-4 py-8 text-center text-slate-500">
                  No migrations yet — select containers on the <Link className="text-teal-700 underline" href="/containers">Containers</Link> page.
                </td>
              </tr>
            )}
            {rows.map((m) => (
              <tr key={m.id} className="border-b border-slate-100 last:border-0 dark:border-slate-800">
                <td className="px-4 py-2">
                  <Link className="text-teal-700 hover:underline dark:text-teal-400" href={`/migrations/${m.id}`}>
                    {new Date(m.createdAt).toLocaleString("en-GB")}
                  </Link>
                </td>
                <td className="px-4 py-2">
                  {m.sources.join(", ")} → {m.targetHostName}
                </td>
                <td className="px-4 py-2">
                  <MigrationStatusBadge status={m.status} />
                </td>
                <td className="px-4 py-2 text-xs tabular">
                  {Object.entries(m.counts)
                    .map(([s, n]) => `${n} ${s}`)
                    .join(", ")}{" "}
                  of {m.total}
                </td>
                <td className="px-4 py-2 text-xs">{m.createdBy}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
