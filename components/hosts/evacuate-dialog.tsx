"use client";
import { useRouter } from "next/navigation";
import { useMemo, useState, useTransition } from "react";
import { previewEvacuationAction, startEvacuationAction } from "@/lib/actions/migrations";
import type { PublicHost } from "@/lib/hosts/service";
import { formatBytes } from "@/lib/format";
import { PlanTable, targetRoom } from "@/components/migrations/plan-table";
import { usePreflight } from "@/components/migrations/use-preflight";
import { BatchDialog, ConcurrencyField, NameConflictField, useShownModal } from "@/components/migrations/batch-options";

/**
 * Hosts → Evacuate: the plan that spreads every running container of the host over the hosts
 * ticked here, by each one's free budget, shown before anything stops: where each container goes,
 * which cannot go anywhere and why. Starting puts the host into maintenance and runs one batch.
 */
export function EvacuateDialog({ host, hosts, onClose }: { host: PublicHost; hosts: PublicHost[]; onClose: () => void }) {
  const router = useRouter();
  const ref = useShownModal();
  const others = hosts.filter((h) => h.id !== host.id);
  const [chosen, setChosen] = useState(() => new Set(others.filter((h) => !h.maintenance).map((h) => h.id)));
  const [concurrency, setConcurrency] = useState(2);
  const [nameConflict, setNameConflict] = useState<"fail" | "suffix">("fail");
  const [startError, setStartError] = useState<{ ticket: string; message?: string } | null>(null);
  const [starting, start] = useTransition();

  const request = useMemo(
    () => ({ targetHostIds: others.filter((h) => chosen.has(h.id)).map((h) => h.id), options: { concurrency, nameConflict, keepSource: false } }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [chosen, concurrency, nameConflict],
  );
  const { ticket, state, checking, recheck } = usePreflight(request, request.targetHostIds.length > 0, (r) => previewEvacuationAction(host.id, r));
  const plan = state?.plan;
  const moving = plan?.items.filter((i) => !i.errors.length).length ?? 0;
  const staying = (plan?.items.length ?? 0) - moving;
  const message = !request.targetHostIds.length
    ? "Tick at least one host to take the containers"
    : startError?.ticket === ticket
      ? startError.message
      : state && !state.ok
        ? state.message
        : undefined;

  const toggle = (id: string) =>
    setChosen((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <BatchDialog
      dialogRef={ref}
      onClose={onClose}
      titleId="evacuate-title"
      title={`Evacuate ${host.name}`}
      width="max-w-5xl"
      message={message}
      checking={checking}
      starting={starting}
      canCheck={request.targetHostIds.length > 0}
      onCheck={recheck}
      canStart={!!plan && (plan.items.length === 0 || moving > 0)}
      onStart={() =>
        start(async () => {
          const r = await startEvacuationAction(host.id, request);
          if (r.ok && r.id) router.push(`/migrations/${r.id}`);
          else if (r.ok) {
            ref.current?.close();
            router.refresh();
          } else setStartError({ ticket, message: r.message });
        })
      }
      startLabel={plan?.items.length ? `Evacuate ${host.name} (${moving})` : `Put ${host.name} into maintenance`}
    >
      <p className="text-sm text-slate-600 dark:text-slate-400">
        Every running container of {host.name} moves to the hosts ticked below, each to the one with the most free memory budget that can take it. {host.name} goes into
        maintenance and takes no new containers until you end it. A container no host can take keeps running on {host.name}.
      </p>
      <div className="grid gap-4 sm:grid-cols-4">
        <fieldset className="text-sm sm:col-span-2">
          <legend className="mb-1 font-medium">Hosts that may take containers</legend>
          {others.length === 0 && <p className="text-slate-500">No other host is registered.</p>}
          {others.map((h) => (
            <label key={h.id} className="flex items-center gap-2">
              <input type="checkbox" checked={chosen.has(h.id)} onChange={() => toggle(h.id)} aria-label={`Move containers to ${h.name}`} />
              {h.name}
              {h.maintenance && <span className="text-xs text-amber-700 dark:text-amber-400">in maintenance</span>}
            </label>
          ))}
        </fieldset>
        <ConcurrencyField value={concurrency} onChange={setConcurrency} />
        <NameConflictField value={nameConflict} onChange={setNameConflict} failLabel="Try another host" />
      </div>

      {checking && (
        <p role="status" className="text-sm text-slate-600 dark:text-slate-400" data-testid="plan-checking">
          Planning (pre-flight of every container against every host)…
        </p>
      )}
      {plan && (
        <div className="space-y-3">
          <p className="text-sm font-medium" data-testid="evacuation-summary">
            {plan.items.length === 0
              ? `${host.name} runs no container: evacuating only puts it into maintenance.`
              : `${moving} of ${plan.items.length} containers move; ${staying} stay${staying === 1 ? "s" : ""} on ${host.name}.`}
          </p>
          <table className="w-full text-left text-sm" aria-label="Evacuation targets">
            <thead className="text-xs uppercase text-slate-500">
              <tr>
                <th className="py-1 pr-3">Host</th>
                <th className="py-1 pr-3 text-right">Takes</th>
                <th className="py-1 pr-3 text-right">Memory planned</th>
                <th className="py-1">Room before</th>
              </tr>
            </thead>
            <tbody>
              {plan.targets.map((t) => (
                <tr key={t.id} className="border-t border-slate-100 dark:border-slate-800" data-testid={`evacuation-target-${t.name}`}>
                  <td className="py-1 pr-3 font-medium">{t.name}</td>
                  <td className="py-1 pr-3 text-right tabular">{t.plannedCount}</td>
                  <td className="py-1 pr-3 text-right tabular">{formatBytes(t.plannedBytes)}</td>
                  <td className={`py-1 ${t.unavailable ? "text-red-700 dark:text-red-400" : "text-slate-600 dark:text-slate-400"}`}>
                    {t.unavailable ? targetRoom(t) : `${formatBytes(Math.max(0, t.budgetBytes - t.usedBytes))} free (${targetRoom(t)})`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {plan.items.length > 0 && <PlanTable plan={plan} showTarget label="Evacuation plan" />}
        </div>
      )}
    </BatchDialog>
  );
}
