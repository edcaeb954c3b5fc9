"use client";
import { useRouter } from "next/navigation";
import { useActionState, useTransition } from "react";
import { createTokenAction, revokeTokenAction, type TokenFormState } from "@/lib/actions/settings";
import type { ApiTokenView } from "@/lib/auth/api-token";
import { timeAgo } from "@/lib/format";
import { Button } from "@/components/ui/button";
import { Field, FormMessage } from "@/components/ui/field";

export function ApiTokens({ tokens }: { tokens: ApiTokenView[] }) {
  const router = useRouter();
  const [state, create, creating] = useActionState<TokenFormState, FormData>(createTokenAction, {});
  const [revoking, startRevoke] = useTransition();
  return (
    <div className="space-y-4">
      <form action={create} className="flex flex-wrap items-end gap-3" aria-label="Create an API token">
        <div className="min-w-64">
          <Field label="Token name" name="name" placeholder="maintenance-script" required errors={state.errors?.name} />
        </div>
        <Button type="submit" disabled={creating}>
          {creating ? "Creating…" : "Create token"}
        </Button>
      </form>
      <FormMessage ok={state.ok} message={state.message} />
      {state.token && (
        <p className="rounded-md bg-slate-100 px-3 py-2 font-mono text-xs break-all dark:bg-slate-800" data-testid="new-token">
          {state.token}
        </p>
      )}
      <table className="w-full text-left text-sm" aria-label="API tokens">
        <thead className="text-xs uppercase text-slate-500">
          <tr>
            <th className="py-1.5">Name</th>
            <th className="py-1.5">Starts with</th>
            <th className="py-1.5">Created</th>
            <th className="py-1.5">Last used</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {tokens.length === 0 && (
            <tr>
              <td colSpan={5} className="py-3 text-slate-500">
                No tokens. Scripts can also use FERRY_API_TOKEN from the environment.
              </td>
            </tr>
          )}
          {tokens.map((t) => (
            <tr key={t.id} className="border-t border-slate-100 dark:border-slate-800">
              <td className="py-1.5">{t.name}</td>
              <td className="py-1.5 font-mono text-xs">{t.prefix}…</td>
              <td className="py-1.5 text-xs">{timeAgo(t.createdAt)}</td>
              <td className="py-1.5 text-xs">{timeAgo(t.lastUsedAt)}</td>
              <td className="py-1.5 text-right">
                <Button
                  variant="ghost"
                  disabled={revoking}
                  aria-label={`Revoke ${t.name}`}
                  onClick={() =>
                    startRevoke(async () => {
                      await revokeTokenAction(t.id);
                      router.refresh();
                    })
                  }
                >
                  Revoke
                </Button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
