"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { logoutAction } from "@/lib/actions/auth";

const links = [
  { href: "/containers", label: "Containers" },
  { href: "/history", label: "History" },
  { href: "/hosts", label: "Hosts" },
  { href: "/settings", label: "Settings" },
];

export function Sidebar({ username }: { username: string }) {
  const pathname = usePathname();
  return (
    <aside className="flex w-full shrink-0 flex-row items-center gap-4 border-b border-slate-200 bg-white px-4 py-3 md:sticky md:top-0 md:h-screen md:w-52 md:flex-col md:items-stretch md:border-b-0 md:border-r md:py-5 dark:border-slate-800 dark:bg-slate-900">
      <Link href="/containers" className="flex items-center gap-2 text-lg font-semibold text-teal-800 dark:text-teal-300">
        {/* eslint-disable-next-line @next/next/no-img-element */}
        <img src="/icon.svg" alt="" width={24} height={24} />
        Ferry
      </Link>
      <nav aria-label="Main" className="flex flex-row gap-1 md:flex-col">
        {links.map((l) => {
          const active = pathname === l.href || pathname.startsWith(`${l.href}/`) || (l.href === "/history" && pathname.startsWith("/migrations/"));
          return (
            <Link
              key={l.href}
              href={l.href}
              aria-current={active ? "page" : undefined}
              className={`rounded-md px-3 py-1.5 text-sm ${active ? "bg-teal-50 font-medium text-teal-900 dark:bg-teal-950 dark:text-teal-200" : "text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800"}`}
            >
              {l.label}
            </Link>
          );
        })}
      </nav>
      <form action={logoutAction} className="ml-auto flex items-center gap-2 md:mt-auto md:ml-0 md:flex-col md:items-stretch">
        <span className="text-xs text-slate-500">Signed in as {username}</span>
        <button type="submit" className="rounded-md px-3 py-1.5 text-left text-sm text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800">
          Sign out
        </button>
      </form>
    </aside>
  );
}
