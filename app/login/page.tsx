import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { AuthCard } from "@/components/auth/auth-card";
import { LoginForm } from "@/components/auth/login-form";
import { currentUser } from "@/lib/auth/current";
import { safeNextPath } from "@/lib/auth/redirect";
import { hasAnyUser } from "@/lib/auth/users";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  if (!(await hasAnyUser())) redirect("/setup");
  if (await currentUser()) redirect("/containers");
  const { next } = await searchParams;
  return (
    <AuthCard title="Sign in" subtitle="This dashboard controls Docker on every registered host.">
      {/* Checked here too (loginAction checks again): the form never carries a path off the site. */}
      <LoginForm next={safeNextPath(next) ?? undefined} />
    </AuthCard>
  );
}
