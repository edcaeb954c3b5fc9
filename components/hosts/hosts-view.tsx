"use client";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { deleteHostAction, probeCriuAction, recheckHostAction, setMaintenanceAction } from "@/lib/actions/hosts";
import type { PublicHost } from "@/lib/hosts/service";
import { formatBytes, timeAgo } from "@/lib/format";
import { useSocket } from "@/lib/realtime/client";
import { HealthBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { FormMessage } from "@/components/ui/field";
import { HostForm } from "@/components/hosts/host-form";
import { CriuCapabilities } from "@/components/hosts/criu-capabilities";
import { EvacuateDialog } from "@/components/hosts/evacuate-dialog";
import { PairMatrix } from "@/components/hosts/pair-matrix";
import type { PairResult } from "@/lib/migration/pair-probe";

export function HostsView({ hosts, pairs }: { hosts: PublicHost[]; pairs: PairResult[] }) {
  const router = useRouter();
  const [editing, setEditing] = useState<string | null>(null);
  const [evacuating, setEvacuating] = useState<PublicHost | null>(null);
  const [notice, setNotice] = useState<{ ok?: boolean; message?: string }>({});
  const [pending, startTransition] = useTransition();

  useSocket((socket) => {
    const refresh = () => router.refresh();
    socket.emit("hosts:subscribe");
    socket.on("hosts:health", refresh);
    socket.on("hosts:changed", refresh);
    return () => {
      socket.off("hosts:health", refresh);
      socket.off("hosts:changed", refresh);
    };
  });

  const run = (fn: () => Promise<{ ok?: boolean; message?: string }>) =>
    startTransition(async () => {
      const r = await fn();
      setNotice({ ok: r.ok, message: r.message });
      router.refresh();
    });

  return (
    <div className="space-y-8">
      <section className="rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm">
            <thead className="border-b border-slate-200 text-xs uppercase text-slate-500 dark:border-slate-800">
              <tr>
                <th className="px-4 py-2">Host</th>
                <th className="px-4 py-2">Health</th>
                <th className="px-4 py-2">Docker</th>
                <th className="px-4 py-2">CRIU</th>
                <th className="px-4 py-2">Resources</th>
                <th className="px-4 py-2">Containers</th>
                <th className="px-4 py-2 text-right">Actions</th>
              </tr>
            </thead>
            <tbody>
              {hosts.length === 0 && (
                <tr>
                  <td colSpan={7} className="px-4 py-8 text-center text-slate-500">
                    No hosts yet. Register one below with its Docker endpoint.
                  </td>
                </tr>
              )}
              {hosts.map((h) => (
                <HostRow
                  key={h.id}
                  host={h}
                  busy={pending}
                  editing={editing === h.id}
                  onEdit={() => setEditing(editing === h.id ? null : h.id)}
                  onDone={() => {
                    setEditing(null);
                    router.refresh();
                  }}
                  onRecheck={() => run(() => recheckHostAction(h.id))}
                  onProbe={() => run(() => probeCriuAction(h.id))}
                  onEvacuate={() => setEvacuating(h)}
                  onMaintenance={() => run(() => setMaintenanceAction(h.id, !h.maintenance))}
                  onDelete={() => {
                    if (confirm(`Remove host "${h.name}" from Ferry? Its containers keep running.`)) run(() => deleteHostAction(h.id));
                  }}
                />
              ))}
            </tbody>
          </table>
        </div>
        <div className="px-4 pb-3" aria-live="polite">
          <FormMessage ok={notice.ok} message={notice.message} />
        </div>
      </section>

      {evacuating && <EvacuateDialog host={evacuating} hosts={hosts} onClose={() => setEvacuating(null)} />}

      <PairMatrix hosts={hosts} pairs={pairs} />

      <section className="max-w-3xl space-y-3 rounded-lg border border-slate-200 bg-white p-5 dark:border-slate-800 dark:bg-slate-900">
        <h2 className="text-base font-semibold">Register a host</h2>
        <HostForm onDone={() => router.refresh()} />
      </section>
    </div>
  );
}

function HostRow({
  host: h,
  busy,
  editing,
  onEdit,
  onDone,
  onRecheck,
  onProbe,
  onEvacuate,
  onMaintenance,
  onDelete,
}: {
  host: PublicHost;
  busy: boolean;
  editing: boolean;
  onEdit: () => void;
  onDone: () => void;
  onRecheck: () => void;
  onProbe: () => void;
  onEvacuate: () => void;
  onMaintenance: () => void;
  onDelete: () => void;
}) {
  return (
    <>
      <tr className="border-b border-slate-100 align-top last:border-0 dark:border-slate-800" data-testid={`host-row-${h.name}`}>
        <td className="px-4 py-3">
          <div className="font-medium">
            {h.name}
            {h.maintenance && (
              <span
                className="ml-2 rounded bg-amber-100 px-1.5 py-0.5 text-xs font-medium text-amber-800 dark:bg-amber-900/40 dark:text-amber-300"
                title={`since ${h.maintenanceSince ?? "?"}: takes no new containers`}
                data-testid={`maintenance-${h.name}`}
              >
                maintenance
              </span>
            )}
          </div>
          <div className="font-mono text-xs text-slate-500">{h.endpoint}</div>
          {(h.hasTls || h.hasSshKey) && <div className="text-xs text-slate-500">{h.hasTls ? "TLS client certificate stored" : "SSH key stored"}</div>}
          {h.sshHostKey && (
            <div className="max-w-64 break-all font-mono text-xs text-slate-500" data-testid={`host-key-${h.name}`} title={`pinned ${h.sshHostKeyPinnedAt ?? ""}`}>
              host key {h.sshHostKey}
            </div>
          )}
        </td>
        <td className="px-4 py-3">
          <HealthBadge status={h.healthStatus} error={h.healthError} />
          <div className="mt-1 text-xs text-slate-500">checked {timeAgo(h.healthCheckedAt)}</div>
          {h.healthError && <p className="mt-1 max-w-56 text-xs text-red-700 dark:text-red-400">{h.healthError.replace(`${h.name}: `, "")}</p>}
        </td>
        <td className="px-4 py-3 tabular">
          {h.dockerVersion ? (
            <>
              <div>
                {h.dockerVersion} · API {h.apiVersion}
              </div>
              <div className="text-xs text-slate-500">experimental {h.experimental ? "on" : "off"}</div>
              <div className="font-mono text-xs text-slate-500">{h.dockerRootDir}</div>
            </>
          ) : (
            "—"
          )}
        </td>
        <td className="px-4 py-3">
          <CriuCapabilities probe={h.criu} host={h.name} />
        </td>
        <td className="px-4 py-3 tabular">
          {h.cpus ? `${h.cpus} CPU · ${formatBytes(h.memTotal)}` : "—"}
          {h.memTotal ? (
            <div className="text-xs text-slate-500">
              budget {formatBytes(h.memoryBudgetBytes ?? h.memTotal * 0.8)}
              {h.memoryBudgetBytes ? "" : " (80%)"}
              {h.maxConcurrency ? ` · ${h.maxConcurrency} at a time` : ""}
            </div>
          ) : null}
        </td>
        <td className="px-4 py-3 tabular">{h.containersTotal === null ? "—" : `${h.containersRunning} running / ${h.containersTotal}`}</td>
        <td className="px-4 py-3">
          <div className="flex flex-col items-end gap-1">
            <Button variant="secondary" onClick={onRecheck} disabled={busy} aria-label={`Test connection to ${h.name}`}>
              Test
            </Button>
            <Button variant="secondary" onClick={onProbe} disabled={busy} aria-label={`Probe CRIU on ${h.name}`}>
              Probe CRIU
            </Button>
            <Button variant="secondary" onClick={onEvacuate} disabled={busy} aria-label={`Evacuate ${h.name}`}>
              Evacuate
            </Button>
            <Button variant="ghost" onClick={onMaintenance} disabled={busy} aria-label={h.maintenance ? `End maintenance of ${h.name}` : `Start maintenance of ${h.name}`}>
              {h.maintenance ? "End maintenance" : "Maintenance"}
            </Button>
            <Button variant="ghost" onClick={onEdit} aria-label={`Edit ${h.name}`}>
              Edit
            </Button>
            <Button variant="ghost" onClick={onDelete} disabled={busy} aria-label={`Remove ${h.name}`}>
              Remove
            </Button>
          </div>
        </td>
      </tr>
      {editing && (
        <tr className="border-b border-slate-100 dark:border-slate-800">
          <td colSpan={7} className="bg-slate-50 px-4 py-4 dark:bg-slate-950">
            <HostForm host={h} onDone={onDone} />
          </td>
        </tr>
      )}
    </>
  );
}
