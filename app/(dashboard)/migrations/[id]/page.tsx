import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { MigrationLive } from "@/components/migrations/migration-live";
import { fetchMigration } from "@/lib/data/migrations";

export const metadata: Metadata = { title: "Migration" };
export const dynamic = "force-dynamic";

export default async function MigrationPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const m = await fetchMigration(id);
  if (!m) notFound();
  return (
    <div className="space-y-6">
      <header className="space-y-1">
        <Link href="/history" className="text-sm text-teal-700 hover:underline dark:text-teal-400">
          ← History
        </Link>
        <h1 className="text-2xl font-semibold">{m.evacuatedHost ? `Evacuation of ${m.evacuatedHost.name} → ${m.targetHostName}` : `Migration to ${m.targetHostName}`}</h1>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Started {new Date(m.createdAt).toLocaleString("en-GB")} by {m.createdBy} · <span className="font-mono text-xs">{m.id}</span>
        </p>
      </header>
      <MigrationLive initial={m} />
    </div>
  );
}
