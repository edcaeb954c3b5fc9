import type { Metadata } from "next";
import { ApiTokens } from "@/components/settings/api-tokens";
import { RetentionForm } from "@/components/settings/retention";
import { fetchApiTokens } from "@/lib/data/migrations";
import { fetchRetentionDays } from "@/lib/data/history";

export const metadata: Metadata = { title: "Settings" };
export const dynamic = "force-dynamic";

export default async function SettingsPage() {
  const [tokens, days] = await Promise.all([fetchApiTokens(), fetchRetentionDays()]);
  return (
    <div className="max-w-4xl space-y-6">
      <header>
        <h1 className="text-2xl font-semibold">Settings</h1>
      </header>
      <section className="space-y-3 rounded-lg border border-slate-200 bg-white p-5 dark:border-slate-800 dark:bg-slate-900">
        <h2 className="text-base font-semibold">API tokens</h2>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Scripts call <code className="font-mono">/api/v1</code> with <code className="font-mono">Authorization: Bearer &lt;token&gt;</code>. A token is shown once; only its hash is stored.
        </p>
        <ApiTokens tokens={tokens} />
      </section>
      <section className="space-y-3 rounded-lg border border-slate-200 bg-white p-5 dark:border-slate-800 dark:bg-slate-900">
        <h2 className="text-base font-semibold">History retention</h2>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Phase timings of batches that ended longer ago than this are deleted (checked every hour). Batch and container summaries —
          outcome, downtime, bytes moved, error — stay.
        </p>
        <RetentionForm days={days} />
      </section>
    </div>
  );
}
