const tones = {
  green: "bg-emerald-100 text-emerald-800 ring-emerald-600/20 dark:bg-emerald-900/40 dark:text-emerald-300",
  amber: "bg-amber-100 text-amber-800 ring-amber-600/20 dark:bg-amber-900/40 dark:text-amber-300",
  red: "bg-red-100 text-red-800 ring-red-600/20 dark:bg-red-900/40 dark:text-red-300",
  slate: "bg-slate-100 text-slate-700 ring-slate-500/20 dark:bg-slate-800 dark:text-slate-300",
  blue: "bg-sky-100 text-sky-800 ring-sky-600/20 dark:bg-sky-900/40 dark:text-sky-300",
} as const;

export type Tone = keyof typeof tones;

export function Badge({ tone, children, title }: { tone: Tone; children: React.ReactNode; title?: string }) {
  return (
    <span title={title} className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${tones[tone]}`}>
      {children}
    </span>
  );
}

export function HealthBadge({ status, error }: { status: string; error?: string | null }) {
  const [tone, label]: [Tone, string] =
    status === "ok" ? ["green", "healthy"] : status === "warning" ? ["amber", "warning"] : status === "error" ? ["red", "unreachable"] : ["slate", "unknown"];
  return (
    <Badge tone={tone} title={error ?? undefined}>
      {label}
    </Badge>
  );
}

export function StateBadge({ state }: { state: string }) {
  const tone: Tone = state === "running" ? "green" : state === "paused" || state === "restarting" ? "amber" : state === "dead" ? "red" : "slate";
  return <Badge tone={tone}>{state}</Badge>;
}
