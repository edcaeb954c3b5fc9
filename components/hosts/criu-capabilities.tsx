import { CAPABILITY_LABELS, type CriuProbe } from "@/lib/migration/criu-log";
import { timeAgo } from "@/lib/format";
import { Badge } from "@/components/ui/badge";

/** What CRIU on a host could checkpoint and restore when it was last probed. */
export function CriuCapabilities({ probe, host }: { probe: CriuProbe | null; host: string }) {
  if (!probe) return <span className="text-xs text-slate-500">not probed yet</span>;
  return (
    <div className="space-y-1" data-testid={`criu-${host}`}>
      <Badge tone={probe.ok ? "green" : "red"} title={probe.error}>
        {probe.ok ? "checkpoint/restore ok" : "CRIU limited"}
      </Badge>
      <ul className="max-w-52 text-xs leading-5" aria-label={`CRIU capabilities of ${host}`}>
        {probe.capabilities.map((c) => (
          <li key={c.name} title={c.error} className={c.ok ? "text-slate-600 dark:text-slate-400" : "font-medium text-red-700 dark:text-red-400"}>
            <span aria-hidden>{c.ok ? "✓" : "✗"}</span> {CAPABILITY_LABELS[c.name]}
            <span className="sr-only">{c.ok ? " works" : " fails"}</span>
          </li>
        ))}
      </ul>
      {probe.error && <p className="max-w-52 text-xs text-red-700 dark:text-red-400">{probe.error}</p>}
      <div className="text-xs text-slate-500">
        probed {timeAgo(probe.checkedAt)} · kernel {probe.kernel || "?"}
      </div>
    </div>
  );
}
