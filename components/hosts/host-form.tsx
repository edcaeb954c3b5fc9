"use client";
import { startTransition, useActionState, useRef, useState } from "react";
import { saveHostAction, testHostAction, type HostFormState } from "@/lib/actions/hosts";
import type { PublicHost } from "@/lib/hosts/service";
import { formatBytes } from "@/lib/format";
import { Button } from "@/components/ui/button";
import { Field, FormMessage, TextAreaField } from "@/components/ui/field";

/** Register a host, or edit one. TLS material and keys go to the server and never come back. */
export function HostForm({ host, onDone }: { host?: PublicHost; onDone?: () => void }) {
  const formRef = useRef<HTMLFormElement>(null);
  const [endpoint, setEndpoint] = useState(host?.endpoint ?? "");
  const [saved, save, saving] = useActionState<HostFormState, FormData>(async (prev, form) => {
    const result = await saveHostAction(prev, form);
    if (result.ok && !host) {
      formRef.current?.reset();
      setEndpoint("");
    }
    if (result.ok && onDone) onDone();
    return result;
  }, {});
  const [tested, test, testing] = useActionState<HostFormState, FormData>(testHostAction, {});
  const [showTls, setShowTls] = useState(Boolean(host?.hasTls));
  // Only the latest action speaks: a test after a refused save replaces the save's messages.
  const [last, setLast] = useState<"save" | "test" | null>(null);
  const errors = (last === "test" ? tested.errors : last === "save" ? saved.errors : undefined) ?? {};
  const busy = saving || testing;

  return (
    // Dispatched by hand (not <form action>) so a refused save keeps what the user typed.
    <form
      ref={formRef}
      onSubmit={(e) => {
        e.preventDefault();
        const data = new FormData(e.currentTarget);
        setLast("save");
        startTransition(() => save(data));
      }}
      aria-label={host ? `Edit host ${host.name}` : "Register a host"} className="space-y-4">
      {host && <input type="hidden" name="id" value={host.id} />}
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Name" name="name" defaultValue={host?.name} placeholder="host-b" required errors={errors.name} />
        <Field
          label="Endpoint"
          name="endpoint"
          value={endpoint}
          onChange={(e) => setEndpoint(e.target.value)}
          placeholder="unix:///var/run/docker.sock"
          required
          errors={errors.endpoint}
          hint="unix:///path, tcp://host:2376 or ssh://user@host"
        />
      </div>
      {endpoint.startsWith("tcp://") && (
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={showTls} onChange={(e) => setShowTls(e.target.checked)} /> Use TLS (client certificate)
        </label>
      )}
      {endpoint.startsWith("tcp://") && showTls && (
        <div className="grid gap-4 sm:grid-cols-3">
          <TextAreaField label="CA certificate" name="tlsCa" placeholder={host?.hasTls ? "stored; paste to replace" : "-----BEGIN CERTIFICATE-----"} errors={errors.tlsCa} />
          <TextAreaField label="Client certificate" name="tlsCert" placeholder={host?.hasTls ? "stored; paste to replace" : "-----BEGIN CERTIFICATE-----"} errors={errors.tlsCert} />
          <TextAreaField label="Client key" name="tlsKey" placeholder={host?.hasTls ? "stored; paste to replace" : "-----BEGIN PRIVATE KEY-----"} errors={errors.tlsKey} />
        </div>
      )}
      {endpoint.startsWith("ssh://") && (
        <TextAreaField label="SSH private key" name="sshKey" placeholder={host?.hasSshKey ? "stored; paste to replace" : "-----BEGIN OPENSSH PRIVATE KEY-----"} errors={errors.sshKey} hint="The remote user must be able to run docker." />
      )}
      <details className="text-sm" open={Boolean(host?.memoryBudgetBytes || host?.maxConcurrency)}>
        <summary className="cursor-pointer text-slate-600 dark:text-slate-400">Migration limits</summary>
        <div className="mt-3 grid gap-4 sm:grid-cols-2">
          <Field
            label="Memory budget (MiB)"
            name="memoryBudgetMiB"
            inputMode="numeric"
            defaultValue={host?.memoryBudgetBytes ? String(Math.round(host.memoryBudgetBytes / 1048576)) : ""}
            placeholder={host?.memTotal ? `default ${Math.round((host.memTotal * 0.8) / 1048576)} (80%)` : "default: 80% of memory"}
            errors={errors.memoryBudgetMiB}
            hint="Ferry never admits a restore that would take this host past it."
          />
          <Field
            label="Concurrent migrations"
            name="maxConcurrency"
            inputMode="numeric"
            defaultValue={host?.maxConcurrency ? String(host.maxConcurrency) : ""}
            placeholder="default: the batch's setting"
            errors={errors.maxConcurrency}
          />
        </div>
      </details>
      {host && (host.hasTls || host.hasSshKey) && (
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" name="clearSecrets" /> Forget stored TLS material and keys not pasted above
        </label>
      )}
      {host?.sshHostKey && (
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" name="forgetHostKey" /> Forget the pinned SSH host key {host.sshHostKey} (the host was reinstalled; the next
          connection pins the key it presents)
        </label>
      )}
      <div className="flex flex-wrap items-center gap-2">
        <Button type="submit" disabled={busy}>
          {saving ? "Saving…" : host ? "Save changes" : "Register host"}
        </Button>
        <Button
          type="button"
          variant="secondary"
          disabled={busy}
          onClick={() => {
            const form = formRef.current;
            if (!form?.reportValidity()) return;
            const data = new FormData(form);
            setLast("test");
            startTransition(() => test(data));
          }}
        >
          {testing ? "Testing…" : "Test connection"}
        </Button>
        {onDone && host && (
          <Button type="button" variant="ghost" onClick={onDone}>
            Cancel
          </Button>
        )}
      </div>
      <div aria-live="polite" className="space-y-2">
        {last === "test" && (tested.probe ? <ProbeSummary probe={tested.probe} /> : <FormMessage ok={tested.ok} message={tested.message} />)}
        {last === "save" && <FormMessage ok={saved.ok} message={saved.message} />}
      </div>
    </form>
  );
}

function ProbeSummary({ probe }: { probe: NonNullable<HostFormState["probe"]> }) {
  if (!probe.ok)
    return (
      <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-900 dark:bg-red-950 dark:text-red-200">
        Not reachable: {probe.error}
      </p>
    );
  return (
    <div role="status" className="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-900 dark:bg-emerald-950 dark:text-emerald-200">
      <p className="font-medium">Reachable in {probe.latencyMs} ms</p>
      <p>
        Docker {probe.dockerVersion}, API {probe.apiVersion}, experimental {probe.experimental ? "on" : "off"}, {probe.cpus} CPUs,{" "}
        {formatBytes(probe.memTotal)} memory, {probe.containersRunning}/{probe.containersTotal} containers running, root {probe.dockerRootDir}
      </p>
      {probe.sshHostKey && <p className="font-mono text-xs">SSH host key {probe.sshHostKey} (pinned when the host is saved)</p>}
      {probe.warning && <p className="mt-1 text-amber-800 dark:text-amber-300">{probe.warning}</p>}
    </div>
  );
}
