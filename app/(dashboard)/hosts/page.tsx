import type { Metadata } from "next";
import { HostsView } from "@/components/hosts/hosts-view";
import { fetchHosts, fetchPairs } from "@/lib/data/hosts";

export const metadata: Metadata = { title: "Hosts" };
export const dynamic = "force-dynamic";

export default async function HostsPage() {
  const [hosts, pairs] = await Promise.all([fetchHosts(), fetchPairs()]);
  return (
    <div className="space-y-6">
      <header>
        <h1 className="text-2xl font-semibold">Hosts</h1>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Docker daemons Ferry can reach through the Engine API. Health is checked in the background.
        </p>
      </header>
      <HostsView hosts={hosts} pairs={pairs} />
    </div>
  );
}
