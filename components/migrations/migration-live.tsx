"use client";
import { memo, useEffect, useMemo, useRef, useState, useTransition } from "react";
import { cancelMigrationAction } from "@/lib/actions/migrations";
import { formatBytes, formatMs } from "@/lib/format";
import { isBatchEnded, progressOf, TERMINAL } from "@/lib/migration/state";
import { countByStatus, targetsOf, type MigrationItemView, type MigrationView } from "@/lib/migration/view";
import { TargetFiguresTable } from "@/components/migrations/target-figures";
import { useSocket } from "@/lib/realtime/client";
import { Button } from "@/components/ui/button";
import { FormMessage } from "@/components/ui/field";
import { MigrationStatusBadge, ProgressBar } from "@/components/migrations/status";
import { PhaseTimeline } from "@/components/migrations/timeline";
import { DowntimeHistogram, PhaseStack } from "@/components/charts/charts";
import { downtimeHistogram, percentile, phaseDurations } from "@/lib/migration/stats";
import { PHASE_NAMES } from "@/lib/migration/state";

/** How often item events reach the table, and the timeline and charts (the heavy parts). */
const TABLE_EVERY_MS = 1000;
const CHARTS_EVERY_MS = 5000;

/** `value`, changing at most every `ms` (the last change always comes through). */
function useThrottled<T>(value: T, ms: number, immediate: boolean): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    const wait = immediate ? 0 : Math.max(0, last.current + ms - Date.now());
    const t = setTimeout(() => {
      last.current = Date.now();
      setShown(value);
    }, wait);
    return () => clearTimeout(t);
  }, [value, ms, immediate]);
  return shown;
}

/**
 * A batch, live: a snapshot on (re)connect, then item and batch events over the socket. Item
 * events are gathered and applied once a second, the timeline and charts follow every five
 * seconds, and rows that did not change are not drawn again: a batch of 400 containers sends
 * thousands of events, and the page must stay usable while they come.
 */
export function MigrationLive({ initial }: { initial: MigrationView }) {
  const [m, setM] = useState(initial);
  const queued = useRef(new Map<string, MigrationItemView>());
  const flushTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const [notice, setNotice] = useState<{ ok?: boolean; message?: string }>({});
  const [live, setLive] = useState<Record<string, { bytes: number; bytesPerSecond: number }>>({});
  const [pending, start] = useTransition();
  const finished = isBatchEnded(m.status);

  useSocket((socket) => {
    const onSnapshot = (v: MigrationView) => v.id === initial.id && setM(v);
    const flush = () => {
      flushTimer.current = null;
      const changed = queued.current;
      queued.current = new Map();
      if (changed.size)
        setM((prev) => {
          const items = prev.items.map((i) => changed.get(i.id) ?? i);
          return { ...prev, items, counts: countByStatus(items) };
        });
    };
    const onItem = (e: { migrationId: string; item: MigrationItemView }) => {
      if (e.migrationId !== initial.id) return;
      queued.current.set(e.item.id, e.item);
      flushTimer.current ??= setTimeout(flush, TABLE_EVERY_MS);
    };
    const onBatch = (e: { migrationId: string; status: MigrationView["status"]; finishedAt: string | null; cancelRequested: boolean }) => {
      if (e.migrationId !== initial.id) return;
      if (flushTimer.current) clearTimeout(flushTimer.current);
      flush(); // the batch's own news never overtakes its items'
      setM((prev) => ({ ...prev, status: e.status, finishedAt: e.finishedAt, cancelRequested: e.cancelRequested }));
    };
    const onProgress = (e: { migrationId: string; itemId: string; bytes: number; bytesPerSecond: number }) => {
      if (e.migrationId === initial.id) setLive((prev) => ({ ...prev, [e.itemId]: { bytes: e.bytes, bytesPerSecond: e.bytesPerSecond } }));
    };
    socket.on("migration:snapshot", onSnapshot);
    socket.on("migration:progress", onProgress);
    socket.on("migration:item", onItem);
    socket.on("migration:batch", onBatch);
    socket.emit("migration:subscribe", initial.id);
    return () => {
      if (flushTimer.current) clearTimeout(flushTimer.current);
      flushTimer.current = null;
      socket.emit("migration:unsubscribe", initial.id);
      socket.off("migration:snapshot", onSnapshot);
      socket.off("migration:progress", onProgress);
      socket.off("migration:item", onItem);
      socket.off("migration:batch", onBatch);
    };
  });

  useEffect(() => {
    if (finished) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [finished]);

  const total = m.items.length;
  const ended = m.items.filter((i) => TERMINAL.has(i.status)).length;
  const progress = total ? m.items.reduce((s, i) => s + progressOf(i.status), 0) / total : 1;
  const elapsedOf = (i: MigrationItemView) => (i.startedAt ? (i.finishedAt ? Date.parse(i.finishedAt) : now) - Date.parse(i.startedAt) : null);
  const slow = useThrottled(m, CHARTS_EVERY_MS, finished);
  const slowNow = useThrottled(now, CHARTS_EVERY_MS, finished);
  const batchElapsed = m.startedAt ? (m.finishedAt ? Date.parse(m.finishedAt) : now) - Date.parse(m.startedAt) : null;

  return (
    <div className="space-y-5">
      <section className="space-y-3 rounded-lg border border-slate-200 bg-white p-5 dark:border-slate-800 dark:bg-slate-900">
        <div className="flex flex-wrap items-center gap-3">
          <span data-testid="batch-status">
            <MigrationStatusBadge status={m.status} />
          </span>
          <span className="text-sm text-slate-600 dark:text-slate-400">
            {ended} of {total} finished · to <strong>{m.targetHostName}</strong> · {m.options.concurrency} at a time · {formatMs(batchElapsed)}
            {m.options.keepSource ? " · sources kept" : ""}
          </span>
          {!finished && (
            <Button
              variant="secondary"
              className="ml-auto"
              disabled={pending || m.cancelRequested}
              onClick={() => start(async () => setNotice(await cancelMigrationAction(m.id)))}
            >
              {m.cancelRequested ? "Cancelling…" : "Cancel batch"}
            </Button>
          )}
        </div>
        <ProgressBar value={progress} label="Batch progress" />
        <ul className="flex flex-wrap gap-3 text-sm" aria-label="Counts per state" aria-live="polite">
          {Object.entries(m.counts).map(([status, n]) => (
            <li key={status} className="flex items-center gap-1.5" data-testid={`count-${status}`}>
              <MigrationStatusBadge status={status} /> <span className="tabular">{n}</span>
            </li>
          ))}
        </ul>
        <FormMessage ok={notice.ok} message={notice.message} />
      </section>

      <BatchCharts m={slow} now={slowNow} />

      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
        <table className="w-full text-left text-sm" aria-label="Containers in this batch">
          <thead className="border-b border-slate-200 text-xs uppercase text-slate-500 dark:border-slate-800">
            <tr>
              <th className="px-3 py-2">Container</th>
              <th className="px-3 py-2">Route</th>
              <th className="px-3 py-2">Phase</th>
              <th className="w-40 px-3 py-2">Progress</th>
              <th className="px-3 py-2 text-right">Elapsed</th>
              <th className="px-3 py-2 text-right">Downtime</th>
              <th className="px-3 py-2 text-right">Moved</th>
            </tr>
          </thead>
          <tbody>
            {m.items.map((i) => (
              <ItemRow key={i.id} item={i} elapsed={formatMs(elapsedOf(i))} live={live[i.id]} />
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** One container's row: drawn again only when its item, its elapsed time or its live bytes change. */
const ItemRow = memo(function ItemRow({ item: i, elapsed, live }: { item: MigrationItemView; elapsed: string; live?: { bytes: number; bytesPerSecond: number } }) {
  return (
    <tr className="border-b border-slate-100 align-top last:border-0 dark:border-slate-800" data-testid={`item-${i.name}`}>
      <td className="px-3 py-2">
        <div className="font-medium">{i.name}</div>
        {i.error && <p className="mt-1 max-w-xl text-xs text-red-700 dark:text-red-400">{i.error}</p>}
        {i.warnings.map((w) => (
          <p key={w} className="mt-1 max-w-xl text-xs text-amber-700 dark:text-amber-400">
            {w}
          </p>
        ))}
      </td>
      <td className="px-3 py-2 text-xs">
        {i.hostName} → {i.targetHostName ?? "no host"}
        {i.targetName && i.targetName !== i.name ? ` as ${i.targetName}` : ""}
      </td>
      <td className="px-3 py-2" data-testid="item-status">
        <MigrationStatusBadge status={i.status} />
      </td>
      <td className="px-3 py-2 pt-3">
        <ProgressBar value={progressOf(i.status)} label={`${i.name} progress`} />
      </td>
      <td className="px-3 py-2 text-right tabular">{elapsed}</td>
      <td className="px-3 py-2 text-right tabular" data-testid="item-downtime">
        {formatMs(i.downtimeMs)}
      </td>
      <td className="px-3 py-2 text-right tabular" data-testid="item-moved">
        <Moved item={i} live={live} />
      </td>
    </tr>
  );
});

/** Figures, the timeline and the charts of the batch (the page's heaviest drawing: throttled by the caller). */
const BatchCharts = memo(function BatchCharts({ m, now }: { m: MigrationView; now: number }) {
  const { downs, used, stack, targets } = useMemo(
    () => ({
      downs: m.items.filter((i) => i.status === "done" && i.downtimeMs !== null).map((i) => i.downtimeMs!),
      used: PHASE_NAMES.filter((p) => m.items.some((i) => i.phases.some((ph) => ph.name === p && ph.endedAt))),
      stack: m.items.map((i) => ({ name: i.name, ...phaseDurations(i) })),
      targets: targetsOf(m.items),
    }),
    [m.items],
  );
  return (
    <>
      <p className="text-sm text-slate-600 dark:text-slate-400" data-testid="batch-figures">
        Downtime p50 {formatMs(percentile(downs, 50))} · p95 {formatMs(percentile(downs, 95))} · moved {formatBytes(m.items.reduce((s, i) => s + i.bytesMoved, 0))}
        {" · "}
        <a className="text-teal-700 underline dark:text-teal-400" href={`/api/v1/migrations/${m.id}/export?format=json`} download>
          Export JSON
        </a>
        {" · "}
        <a className="text-teal-700 underline dark:text-teal-400" href={`/api/v1/migrations/${m.id}/export?format=csv`} download>
          Export CSV
        </a>
      </p>
      {(targets.length > 1 || m.evacuatedHost) && <TargetFiguresTable targets={targets} />}
      <section className="space-y-3 rounded-lg border border-slate-200 bg-white p-5 dark:border-slate-800 dark:bg-slate-900">
        <h2 className="text-base font-semibold">Timeline</h2>
        <PhaseTimeline m={m} now={now} />
      </section>
      <div className="grid gap-4 lg:grid-cols-2">
        <DowntimeHistogram data={downtimeHistogram(downs)} subtitle="this batch" />
        <PhaseStack data={stack} phases={used} />
      </div>
    </>
  );
});

/** Bytes moved and the transfer's rate: live while the transfer runs, from its phase row after. */
function Moved({ item, live }: { item: MigrationItemView; live?: { bytes: number; bytesPerSecond: number } }) {
  if (item.status === "transferring" && live)
    return (
      <span aria-live="polite">
        {formatBytes(live.bytes)}
        <span className="block text-xs text-slate-500">{formatBytes(live.bytesPerSecond)}/s</span>
      </span>
    );
  const t = item.phases.find((p) => p.name === "transfer" && p.endedAt && p.bytes);
  const ms = t ? Date.parse(t.endedAt!) - Date.parse(t.startedAt) : 0;
  if (!item.bytesMoved) return <>—</>;
  return (
    <>
      {formatBytes(item.bytesMoved)}
      {t && ms > 0 && <span className="block text-xs text-slate-500">{formatBytes((t.bytes! * 1000) / ms)}/s</span>}
    </>
  );
}
