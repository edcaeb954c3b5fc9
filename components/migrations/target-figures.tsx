import { formatBytes, formatMs } from "@/lib/format";
import type { TargetFigures } from "@/lib/migration/view";

/** Each target's share of a batch: its containers by outcome, downtime and bytes. */
export function TargetFiguresTable({ targets, title = "By target" }: { targets: TargetFigures[]; title?: string }) {
  const other = (t: TargetFigures) => t.total - (t.counts.done ?? 0) - (t.counts["rolled-back"] ?? 0) - (t.counts.failed ?? 0) - (t.counts.skipped ?? 0);
  return (
    <section className="overflow-x-auto rounded-lg border border-slate-200 bg-white p-5 dark:border-slate-800 dark:bg-slate-900">
      <h2 className="mb-2 text-base font-semibold">{title}</h2>
      <table className="w-full text-left text-sm" aria-label="Figures per target host">
        <thead className="text-xs uppercase text-slate-500">
          <tr>
            <th className="py-1 pr-3">Target</th>
            <th className="py-1 pr-3 text-right">Containers</th>
            <th className="py-1 pr-3 text-right">Done</th>
            <th className="py-1 pr-3 text-right">Rolled back</th>
            <th className="py-1 pr-3 text-right">Failed</th>
            <th className="py-1 pr-3 text-right">Skipped</th>
            <th className="py-1 pr-3 text-right">In flight</th>
            <th className="py-1 pr-3 text-right">Downtime p50 / p95</th>
            <th className="py-1 text-right">Moved</th>
          </tr>
        </thead>
        <tbody className="tabular">
          {targets.map((t) => (
            <tr key={t.id} className="border-t border-slate-100 dark:border-slate-800" data-testid={`target-figures-${t.name}`}>
              <td className="py-1 pr-3 font-medium">{t.name}</td>
              <td className="py-1 pr-3 text-right">{t.total}</td>
              <td className="py-1 pr-3 text-right">{t.counts.done ?? 0}</td>
              <td className="py-1 pr-3 text-right">{t.counts["rolled-back"] ?? 0}</td>
              <td className="py-1 pr-3 text-right">{t.counts.failed ?? 0}</td>
              <td className="py-1 pr-3 text-right">{t.counts.skipped ?? 0}</td>
              <td className="py-1 pr-3 text-right">{other(t)}</td>
              <td className="py-1 pr-3 text-right">
                {formatMs(t.downtimeP50Ms)} / {formatMs(t.downtimeP95Ms)}
              </td>
              <td className="py-1 text-right">{formatBytes(t.bytesMoved)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
