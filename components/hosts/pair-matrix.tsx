"use client";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { probePairsAction } from "@/lib/actions/hosts";
import type { PublicHost } from "@/lib/hosts/service";
import type { PairResult } from "@/lib/migration/pair-probe";
import { timeAgo } from "@/lib/format";
import { Button } from "@/components/ui/button";
import { FormMessage } from "@/components/ui/field";

const LOOK: Record<PairResult["outcome"], { mark: string; text: string; cls: string }> = {
  works: { mark: "✓", text: "restores", cls: "text-emerald-700 dark:text-emerald-400" },
  fails: { mark: "✕", text: "fails", cls: "text-red-700 dark:text-red-400" },
  "starts-afresh": { mark: "!", text: "starts afresh", cls: "text-amber-700 dark:text-amber-400" },
};

/**
 * Which host can restore which host's checkpoints: the pair probe's last result per source →
 * target (pre-flight runs it for the pairs a batch uses; "Check every pair" runs it for all now).
 * A result holds while both daemons run the Docker versions it was proven on.
 */
export function PairMatrix({ hosts, pairs }: { hosts: PublicHost[]; pairs: PairResult[] }) {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [notice, setNotice] = useState<{ ok?: boolean; message?: string }>({});
  const by = new Map(pairs.map((p) => [`${p.sourceHostId}>${p.targetHostId}`, p]));
  const current = (p: PairResult | undefined, s: PublicHost, t: PublicHost) => p && p.sourceVersion === s.dockerVersion && p.targetVersion === t.dockerVersion;
  if (hosts.length < 2) return null;
  return (
    <section className="space-y-3 rounded-lg border border-slate-200 bg-white p-5 dark:border-slate-800 dark:bg-slate-900">
      <div className="flex flex-wrap items-center gap-3">
        <h2 className="text-base font-semibold">Checkpoint/restore between hosts</h2>
        <Button variant="secondary" className="ml-auto" disabled={pending} onClick={() => start(async () => (setNotice(await probePairsAction()), router.refresh()))}>
          {pending ? "Checking every pair…" : "Check every pair"}
        </Button>
      </div>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        Rows checkpoint, columns restore. Each cell is a probe process with a token in memory (and TCP and unix sockets, a pipe, a file and a thread), checkpointed on the row&apos;s host,
        carried over and restored on the column&apos;s, where CRIU&apos;s restore log must say it finished; pre-flight refuses a pair that fails before anything stops.
      </p>
      <div className="overflow-x-auto">
        <table className="text-left text-sm" aria-label="Checkpoint/restore between hosts">
          <thead className="text-xs uppercase text-slate-500">
            <tr>
              <th className="py-1 pr-4">from ↓ to →</th>
              {hosts.map((t) => (
                <th key={t.id} className="px-3 py-1">
                  {t.name}
                  <div className="font-normal normal-case">{t.dockerVersion ? `Docker ${t.dockerVersion.replace(/\+.*/, "")}` : ""}</div>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {hosts.map((s) => (
              <tr key={s.id} className="border-t border-slate-100 dark:border-slate-800">
                <th className="py-1 pr-4 font-medium">
                  {s.name}
                  <div className="text-xs font-normal text-slate-500">{s.dockerVersion ? `Docker ${s.dockerVersion.replace(/\+.*/, "")}` : ""}</div>
                </th>
                {hosts.map((t) => {
                  if (s.id === t.id) return <td key={t.id} className="px-3 py-1 text-slate-400">—</td>;
                  const p = by.get(`${s.id}>${t.id}`);
                  const look = p ? LOOK[p.outcome] : null;
                  return (
                    <td key={t.id} className="px-3 py-1" data-testid={`pair-${s.name}-${t.name}`} title={p ? `${p.detail} (checked ${timeAgo(p.checkedAt)}, ${p.durationMs} ms)` : "not checked yet"}>
                      {look ? (
                        <span className={look.cls}>
                          {look.mark} {look.text}
                          {p?.outcome === "works" && !p.features.includes("tcp") && <span className="text-xs text-slate-500"> (without TCP)</span>}
                          {!current(p, s, t) && <span className="text-xs text-slate-500"> (versions changed since)</span>}
                        </span>
                      ) : (
                        <span className="text-slate-400">not checked</span>
                      )}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {pairs.some((p) => p.outcome !== "works") && (
        <ul className="space-y-1 text-xs text-red-700 dark:text-red-400">
          {pairs
            .filter((p) => p.outcome !== "works")
            .map((p) => (
              <li key={`${p.sourceHostId}>${p.targetHostId}`}>
                {p.sourceName} → {p.targetName}: {p.detail}
              </li>
            ))}
        </ul>
      )}
      <FormMessage ok={notice.ok} message={notice.message} />
    </section>
  );
}
