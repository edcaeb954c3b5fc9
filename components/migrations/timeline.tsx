"use client";
import { formatMs } from "@/lib/format";
import { PHASE_NAMES } from "@/lib/migration/state";
import type { MigrationView } from "@/lib/migration/view";
import { PHASE_COLORS } from "@/components/charts/colors";

/** Per container, a horizontal bar per phase on one time axis (a Gantt of the batch). */
export function PhaseTimeline({ m, now }: { m: MigrationView; now: number }) {
  const starts = m.items.flatMap((i) => i.phases.map((p) => Date.parse(p.startedAt)));
  const ends = m.items.flatMap((i) => i.phases.map((p) => (p.endedAt ? Date.parse(p.endedAt) : now)));
  if (!starts.length) {
    return <p className="text-sm text-slate-500">No phase timings recorded{m.finishedAt ? " (detail older than the retention setting is purged; the summary stays)" : " yet"}.</p>;
  }
  const t0 = Math.min(...starts);
  const span = Math.max(1, Math.max(...ends) - t0);
  const pct = (t: number) => `${((t - t0) / span) * 100}%`;
  return (
    <div className="space-y-2" data-testid="timeline">
      <ul className="flex flex-wrap gap-3 text-xs" aria-label="Phases">
        {PHASE_NAMES.map((p) => (
          <li key={p} className="flex items-center gap-1">
            <span className="inline-block h-2.5 w-2.5 rounded-sm" style={{ background: PHASE_COLORS[p] }} />
            {p}
          </li>
        ))}
      </ul>
      <div className="space-y-1.5">
        {m.items.map((i) => (
          <div key={i.id} className="grid grid-cols-[10rem_1fr] items-center gap-3 text-xs" data-testid={`timeline-${i.name}`}>
            <span className="truncate font-medium" title={i.name}>
              {i.name}
            </span>
            <div className="relative h-4 rounded bg-slate-100 dark:bg-slate-800">
              {i.phases.map((p) => {
                const s = Date.parse(p.startedAt);
                const e = p.endedAt ? Date.parse(p.endedAt) : now;
                return (
                  <span
                    key={`${p.name}-${p.startedAt}`}
                    data-phase={p.name}
                    title={`${p.name}: ${formatMs(e - s)}${p.ok === false ? " (failed)" : ""}${p.detail ? ` — ${p.detail}` : ""}`}
                    className={`absolute top-0 h-4 rounded-sm ${p.ok === false ? "ring-2 ring-red-600" : ""}`}
                    style={{ left: pct(s), width: `max(2px, calc(${pct(e)} - ${pct(s)}))`, background: PHASE_COLORS[p.name] }}
                  />
                );
              })}
            </div>
          </div>
        ))}
      </div>
      <p className="text-xs text-slate-500">0 → {formatMs(span)}</p>
    </div>
  );
}
