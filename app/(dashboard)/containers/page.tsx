import type { Metadata } from "next";
import { ContainersView } from "@/components/containers/containers-view";
import { fetchAllContainers } from "@/lib/data/containers";

export const metadata: Metadata = { title: "Containers" };
export const dynamic = "force-dynamic";

export default async function ContainersPage() {
  const hosts = await fetchAllContainers();
  return (
    <div className="space-y-6">
      <header>
        <h1 className="text-2xl font-semibold">Containers</h1>
        <p className="text-sm text-slate-600 dark:text-slate-400">Every container of every registered host. Select a batch to migrate.</p>
      </header>
      <ContainersView hosts={hosts} />
    </div>
  );
}
