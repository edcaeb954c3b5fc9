import type { Plan } from "@/lib/migration/preflight";
import { formatBytes } from "@/lib/format";

/**
 * Pre-flight's answer, container by container, before anything stops: where each goes (when the
 * plan chose it), what it needs, and each refusal and warning. The migrate and evacuate dialogs
 * both show it.
 */
export function PlanTable({ plan, showTarget = false, label = "Migration plan" }: { plan: Plan; showTarget?: boolean; label?: string }) {
  return (
    <div className="max-h-72 overflow-auto rounded-md border border-slate-200 dark:border-slate-800">
      <table className="w-full text-left text-sm" aria-label={label}>
        <thead className="sticky top-0 bg-slate-50 text-xs uppercase text-slate-500 dark:bg-slate-800">
          <tr>
            <th className="px-3 py-1.5">Container</th>
            <th className="px-3 py-1.5">From</th>
            {showTarget && <th className="px-3 py-1.5">To</th>}
            <th className="px-3 py-1.5 text-right">Needs</th>
            <th className="px-3 py-1.5">Pre-flight</th>
          </tr>
        </thead>
        <tbody>
          {plan.items.map((i) => (
            <tr key={`${i.hostId}/${i.containerId}`} className="border-t border-slate-100 align-top dark:border-slate-800" data-testid={`plan-row-${i.name}`}>
              <td className="whitespace-nowrap px-3 py-1.5 font-medium">{i.name}</td>
              <td className="px-3 py-1.5">{i.hostName}</td>
              {showTarget && <td className="px-3 py-1.5">{i.errors.length ? <span className="text-red-700 dark:text-red-400">stays</span> : i.targetHostName}</td>}
              <td className="whitespace-nowrap px-3 py-1.5 text-right tabular">{i.memoryNeedBytes ? formatBytes(i.memoryNeedBytes) : "—"}</td>
              <td className="px-3 py-1.5 text-xs">
                {i.errors.map((e) => (
                  <p key={e} className="text-red-700 dark:text-red-400">
                    ✕ {e}
                  </p>
                ))}
                {i.warnings.map((w) => (
                  <p key={w} className="text-amber-700 dark:text-amber-400">
                    ! {w}
                  </p>
                ))}
                {!i.errors.length && !i.warnings.length && <span className="text-emerald-700 dark:text-emerald-400">ready</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** "Memory budget 1.6 GiB, 210 MiB in use", or why the host takes nothing. */
export function targetRoom(t: Plan["targets"][number]): string {
  return t.unavailable ?? `memory budget ${formatBytes(t.budgetBytes)}, ${formatBytes(t.usedBytes)} in use`;
}
