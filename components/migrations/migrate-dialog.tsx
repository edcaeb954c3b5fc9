"use client";
import { useRouter } from "next/navigation";
import { useMemo, useState, useTransition } from "react";
import { previewMigrationAction, startMigrationAction } from "@/lib/actions/migrations";
import { usePreflight } from "@/components/migrations/use-preflight";
import { BatchDialog, ConcurrencyField, NameConflictField, useShownModal } from "@/components/migrations/batch-options";
import type { ContainerRow } from "@/lib/hosts/containers";
import { PlanTable, targetRoom } from "@/components/migrations/plan-table";

type HostOption = { id: string; name: string };

/**
 * "Migrate selected": target and options → the pre-flight plan → confirm. Pre-flight runs as the
 * dialog opens and again whenever the target or an option changes, so Start can be pressed at once;
 * "Check again" re-runs it (a host may have changed meanwhile). Start stays disabled while the plan
 * for the current choices is loading, and when nothing in it can move.
 */
export function MigrateDialog({ selected, hosts, onClose }: { selected: ContainerRow[]; hosts: HostOption[]; onClose: () => void }) {
  const router = useRouter();
  const ref = useShownModal();
  const sourceIds = new Set(selected.map((c) => c.hostId));
  const targets = hosts.filter((h) => !(sourceIds.size === 1 && sourceIds.has(h.id)));
  const [targetHostId, setTarget] = useState(targets[0]?.id ?? "");
  const [keepSource, setKeepSource] = useState(false);
  const [concurrency, setConcurrency] = useState(2);
  const [nameConflict, setNameConflict] = useState<"fail" | "suffix">("fail");
  const [startError, setStartError] = useState<{ ticket: string; message?: string } | null>(null);
  const [starting, start] = useTransition();

  // Items in the order of the selection, which is the containers table's order: they move in it.
  const request = useMemo(
    () => ({ targetHostId, items: selected.map((c) => ({ hostId: c.hostId, containerId: c.id })), options: { keepSource, concurrency, nameConflict } }),
    [targetHostId, selected, keepSource, concurrency, nameConflict],
  );
  const { ticket, state, checking, recheck } = usePreflight(request, Boolean(targetHostId), previewMigrationAction);
  const plan = state?.plan;
  const runnable = plan?.items.filter((i) => i.errors.length === 0).length ?? 0;
  const message = startError?.ticket === ticket ? startError.message : state && !state.ok ? state.message : undefined;

  return (
    <BatchDialog
      dialogRef={ref}
      onClose={onClose}
      titleId="migrate-title"
      title={`Migrate ${selected.length} container${selected.length === 1 ? "" : "s"}`}
      width="max-w-4xl"
      message={message}
      checking={checking}
      starting={starting}
      canCheck={Boolean(targetHostId)}
      onCheck={recheck}
      canStart={Boolean(plan) && runnable > 0}
      onStart={() =>
        start(async () => {
          const r = await startMigrationAction(request);
          if (r.ok && r.id) router.push(`/migrations/${r.id}`);
          else setStartError({ ticket, message: r.message });
        })
      }
      startLabel={plan ? `Start migration (${runnable})` : "Start migration"}
    >
      <div className="grid gap-4 sm:grid-cols-4">
        <label className="text-sm sm:col-span-2">
          <span className="mb-1 block font-medium">Target host</span>
          <select
            aria-label="Target host"
            className="w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 dark:border-slate-700 dark:bg-slate-900"
            value={targetHostId}
            onChange={(e) => setTarget(e.target.value)}
          >
            {targets.map((h) => (
              <option key={h.id} value={h.id}>
                {h.name}
              </option>
            ))}
          </select>
        </label>
        <ConcurrencyField value={concurrency} onChange={setConcurrency} />
        <NameConflictField value={nameConflict} onChange={setNameConflict} failLabel="Refuse that container" />
      </div>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" checked={keepSource} onChange={(e) => setKeepSource(e.target.checked)} />
        Keep the source containers (stopped) instead of removing them
      </label>

      {checking && (
        <p role="status" className="text-sm text-slate-600 dark:text-slate-400" data-testid="plan-checking">
          Checking the plan (pre-flight: hosts, CRIU, memory, names)…
        </p>
      )}
      {plan && (
        <div className="space-y-2">
          <p className="text-sm text-slate-600 dark:text-slate-400" data-testid="plan-summary">
            Pre-flight: {runnable} of {plan.items.length} can move to {plan.targets.map((t) => `${t.name} (${targetRoom(t)})`).join(", ")}.
          </p>
          <PlanTable plan={plan} />
        </div>
      )}
    </BatchDialog>
  );
}
