"use client";
import { useRouter } from "next/navigation";
import { memo, useCallback, useDeferredValue, useMemo, useState, useTransition } from "react";
import type { ContainerRow, HostContainers } from "@/lib/hosts/containers";
import { formatBytes, formatDuration } from "@/lib/format";
import { useSocket } from "@/lib/realtime/client";
import { StateBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { MigrateDialog } from "@/components/migrations/migrate-dialog";
import { DEFAULT_SORT, inTableOrder, type Sort, type SortKey } from "@/lib/hosts/order";

const COLUMNS: { key: SortKey; label: string; numeric?: boolean }[] = [
  { key: "name", label: "Name" },
  { key: "host", label: "Host" },
  { key: "image", label: "Image" },
  { key: "state", label: "State" },
  { key: "uptime", label: "Uptime", numeric: true },
  { key: "memory", label: "Memory", numeric: true },
  { key: "created", label: "Created" },
];

const rowKey = (c: ContainerRow) => `${c.hostId}/${c.id}`;

export function ContainersView({ hosts }: { hosts: HostContainers[] }) {
  const router = useRouter();
  const [refreshing, startRefresh] = useTransition();
  const [hostFilter, setHostFilter] = useState("all");
  const [stateFilter, setStateFilter] = useState("all");
  const [text, setText] = useState("");
  const query = useDeferredValue(text.trim().toLowerCase());
  const [sort, setSort] = useState<Sort>(DEFAULT_SORT);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [migrating, setMigrating] = useState(false);

  useSocket((socket) => {
    const refresh = () => startRefresh(() => router.refresh());
    socket.emit("hosts:subscribe");
    socket.on("hosts:changed", refresh);
    socket.on("hosts:health", refresh);
    return () => {
      socket.off("hosts:changed", refresh);
      socket.off("hosts:health", refresh);
    };
  });

  const all = useMemo(() => hosts.flatMap((h) => (h.ok ? h.containers : [])), [hosts]);
  const failed = hosts.filter((h): h is Extract<HostContainers, { ok: false }> => !h.ok && (hostFilter === "all" || h.hostId === hostFilter));
  const states = useMemo(() => [...new Set(all.map((c) => c.state))].sort(), [all]);

  const visible = useMemo(() => {
    const rows = all.filter(
      (c) =>
        (hostFilter === "all" || c.hostId === hostFilter) &&
        (stateFilter === "all" || c.state === stateFilter) &&
        (!query || c.name.toLowerCase().includes(query) || c.image.toLowerCase().includes(query) || c.id.startsWith(query)),
    );
    return inTableOrder(rows, sort);
  }, [all, hostFilter, stateFilter, query, sort]);

  // Selection survives refreshes but never holds containers that are gone.
  const present = useMemo(() => new Set(all.map(rowKey)), [all]);
  // The batch in the table's order (rows hidden by a filter take their place in the same sort).
  const selectedRows = useMemo(() => inTableOrder(all.filter((c) => selected.has(rowKey(c))), sort), [all, selected, sort]);
  const visibleKeys = visible.map(rowKey);
  const allVisibleSelected = visibleKeys.length > 0 && visibleKeys.every((k) => selected.has(k));
  const someVisibleSelected = visibleKeys.some((k) => selected.has(k));

  const toggle = useCallback(
    (k: string) =>
      setSelected((prev) => {
        const next = new Set([...prev].filter((x) => present.has(x)));
        if (next.has(k)) next.delete(k);
        else next.add(k);
        return next;
      }),
    [present],
  );
  const toggleAllVisible = () =>
    setSelected((prev) => {
      const next = new Set([...prev].filter((x) => present.has(x)));
      if (allVisibleSelected) visibleKeys.forEach((k) => next.delete(k));
      else visibleKeys.forEach((k) => next.add(k));
      return next;
    });
  const sortBy = (key: SortKey) => setSort((s) => ({ key, dir: s.key === key ? ((-s.dir) as 1 | -1) : 1 }));

  const select = "rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm dark:border-slate-700 dark:bg-slate-900";

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-end gap-3">
        <label className="text-sm">
          <span className="mb-1 block text-xs text-slate-500">Host</span>
          <select aria-label="Filter by host" className={select} value={hostFilter} onChange={(e) => setHostFilter(e.target.value)}>
            <option value="all">All hosts</option>
            {hosts.map((h) => (
              <option key={h.hostId} value={h.hostId}>
                {h.hostName}
              </option>
            ))}
          </select>
        </label>
        <label className="text-sm">
          <span className="mb-1 block text-xs text-slate-500">State</span>
          <select aria-label="Filter by state" className={select} value={stateFilter} onChange={(e) => setStateFilter(e.target.value)}>
            <option value="all">All states</option>
            {states.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label className="min-w-56 flex-1 text-sm">
          <span className="mb-1 block text-xs text-slate-500">Search</span>
          <input
            type="search"
            aria-label="Search containers"
            placeholder="Name, image or id"
            className={`${select} w-full`}
            value={text}
            onChange={(e) => setText(e.target.value)}
          />
        </label>
        <Button variant="secondary" onClick={() => startRefresh(() => router.refresh())} disabled={refreshing}>
          {refreshing ? "Refreshing…" : "Refresh"}
        </Button>
        <div className="flex items-center gap-2">
          <span className="text-sm text-slate-600 dark:text-slate-400" aria-live="polite" data-testid="selection-count">
            {selectedRows.length} selected
          </span>
          <Button disabled={selectedRows.length === 0} onClick={() => setMigrating(true)}>
            Migrate selected
          </Button>
        </div>
      </div>

      {migrating && (
        <MigrateDialog
          selected={selectedRows}
          hosts={hosts.map((h) => ({ id: h.hostId, name: h.hostName }))}
          onClose={() => setMigrating(false)}
        />
      )}
      {failed.map((h) => (
        <div key={h.hostId} role="alert" className="rounded-md border border-red-200 bg-red-50 px-4 py-2 text-sm text-red-900 dark:border-red-900 dark:bg-red-950 dark:text-red-200">
          <span className="font-medium">{h.hostName}</span>: containers could not be listed ({h.code}): {h.error}
        </div>
      ))}

      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
        <table className="w-full text-left text-sm" aria-label="Containers">
          <thead className="sticky top-0 border-b border-slate-200 bg-white text-xs uppercase text-slate-500 dark:border-slate-800 dark:bg-slate-900">
            <tr>
              <th className="w-10 px-3 py-2">
                <input
                  type="checkbox"
                  aria-label="Select all shown containers"
                  checked={allVisibleSelected}
                  ref={(el) => {
                    if (el) el.indeterminate = !allVisibleSelected && someVisibleSelected;
                  }}
                  onChange={toggleAllVisible}
                />
              </th>
              {COLUMNS.map((col) => (
                <th key={col.key} className={`px-3 py-2 ${col.numeric ? "text-right" : ""}`} aria-sort={sort.key === col.key ? (sort.dir === 1 ? "ascending" : "descending") : "none"}>
                  <button type="button" className="uppercase hover:text-slate-900 dark:hover:text-slate-100" onClick={() => sortBy(col.key)}>
                    {col.label}
                    {sort.key === col.key ? (sort.dir === 1 ? " ▲" : " ▼") : ""}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {visible.length === 0 && (
              <tr>
                <td colSpan={COLUMNS.length + 1} className="px-4 py-8 text-center text-slate-500">
                  {all.length === 0 ? (hosts.length === 0 ? "No hosts registered yet: add one on the Hosts page." : "No containers on the reachable hosts.") : "No container matches the filters."}
                </td>
              </tr>
            )}
            {visible.map((c) => (
              <Row key={rowKey(c)} c={c} checked={selected.has(rowKey(c))} onToggle={toggle} />
            ))}
          </tbody>
        </table>
      </div>
      <p className="text-xs text-slate-500" data-testid="container-count">
        {visible.length} of {all.length} containers shown across {hosts.length} host{hosts.length === 1 ? "" : "s"}
      </p>
    </div>
  );
}

/** One row; memoised so a selection or filter change re-renders only the rows it touches. */
const Row = memo(function Row({ c, checked, onToggle }: { c: ContainerRow; checked: boolean; onToggle: (key: string) => void }) {
  const k = rowKey(c);
  return (
    <tr className="border-b border-slate-100 last:border-0 hover:bg-slate-50 dark:border-slate-800 dark:hover:bg-slate-800/50" data-testid="container-row">
      <td className="px-3 py-1.5">
        <input type="checkbox" aria-label={`Select ${c.name} on ${c.hostName}`} checked={checked} onChange={() => onToggle(k)} />
      </td>
      <td className="px-3 py-1.5 font-medium">
        {c.name}
        <span className="ml-2 font-mono text-xs text-slate-400">{c.id.slice(0, 12)}</span>
      </td>
      <td className="px-3 py-1.5">{c.hostName}</td>
      <td className="px-3 py-1.5 font-mono text-xs">{c.image}</td>
      <td className="px-3 py-1.5">
        <StateBadge state={c.state} />
      </td>
      <td className="px-3 py-1.5 text-right tabular">{c.uptimeSeconds === null ? "—" : formatDuration(c.uptimeSeconds)}</td>
      <td className="px-3 py-1.5 text-right tabular">{formatBytes(c.memoryBytes)}</td>
      <td className="px-3 py-1.5 text-xs text-slate-500 tabular">
        <time dateTime={c.createdAt}>{c.createdAt.slice(0, 16).replace("T", " ")}</time>
      </td>
    </tr>
  );
});
