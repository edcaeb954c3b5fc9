"use client";
import { useActionState } from "react";
import { setupAction, type AuthFormState } from "@/lib/actions/auth";
import { Button } from "@/components/ui/button";
import { Field, FormMessage } from "@/components/ui/field";

export function SetupForm() {
  const [state, action, pending] = useActionState<AuthFormState, FormData>(setupAction, {});
  return (
    <form action={action} className="space-y-4">
      <Field label="User name" name="username" defaultValue="admin" autoComplete="username" required errors={state.errors?.username} />
      <Field label="Password" name="password" type="password" autoComplete="new-password" required minLength={10} hint="At least 10 characters" errors={state.errors?.password} />
      <Field label="Repeat password" name="confirm" type="password" autoComplete="new-password" required errors={state.errors?.confirm} />
      <FormMessage message={state.message} />
      <Button type="submit" disabled={pending} className="w-full">
        {pending ? "Creating…" : "Create the admin account"}
      </Button>
    </form>
  );
}
