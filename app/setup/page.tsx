import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { AuthCard } from "@/components/auth/auth-card";
import { SetupForm } from "@/components/auth/setup-form";
import { hasAnyUser } from "@/lib/auth/users";

export const metadata: Metadata = { title: "Create the admin account" };
export const dynamic = "force-dynamic";

export default async function SetupPage() {
  if (await hasAnyUser()) redirect("/login");
  return (
    <AuthCard title="Create the admin account" subtitle="First start: no account exists yet. The account you create here signs in to Ferry.">
      <SetupForm />
    </AuthCard>
  );
}
