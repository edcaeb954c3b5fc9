export function ChartCard({ title, subtitle, id, empty, children }: { title: string; subtitle?: string; id: string; empty?: string | null; children: React.ReactNode }) {
  return (
    <figure data-testid={`chart-${id}`} aria-label={title} className="min-w-0 rounded-lg border border-slate-200 bg-white p-4 text-slate-600 dark:border-slate-800 dark:bg-slate-900 dark:text-slate-400">
      <figcaption className="mb-2">
        <span className="text-sm font-semibold text-slate-900 dark:text-slate-100">{title}</span>
        {subtitle && <span className="ml-2 text-xs">{subtitle}</span>}
      </figcaption>
      {empty ? <p className="flex h-56 items-center justify-center text-sm">{empty}</p> : <div className="h-56 w-full">{children}</div>}
    </figure>
  );
}
