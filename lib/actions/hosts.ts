"use server";
import { revalidatePath } from "next/cache";
import { ZodError } from "zod";
import { requireUser } from "@/lib/auth/current";
import type { ProbeResult, ProbeResultJson } from "@/lib/docker/inspect";
import {
  createHost,
  deleteHost,
  HostInputError,
  HostInUseError,
  probeHostCriu,
  HostNotFoundError,
  refreshHealth,
  setMaintenance,
  testConnection,
  toPublicHost,
  updateHost,
  listHosts,
  type PublicHost,
} from "@/lib/hosts/service";
import { probeAllPairs } from "@/lib/migration/pair-probe";
import { asForm } from "@/lib/validations/form";
import { hostIdSchema, type HostInput } from "@/lib/validations/host";

export type HostFormState = {
  ok?: boolean;
  message?: string;
  errors?: Record<string, string[]>;
  host?: PublicHost;
  probe?: ProbeResultJson;
};

function formInput(raw: FormData): HostInput {
  const form = asForm(raw);
  const text = (k: string) => {
    const v = form.get(k);
    return typeof v === "string" ? v : undefined;
  };
  return {
    name: text("name") ?? "",
    endpoint: text("endpoint") ?? "",
    tlsCa: text("tlsCa"),
    tlsCert: text("tlsCert"),
    tlsKey: text("tlsKey"),
    sshKey: text("sshKey"),
    memoryBudgetMiB: text("memoryBudgetMiB"),
    maxConcurrency: text("maxConcurrency"),
  };
}

function failure(err: unknown): HostFormState {
  if (err instanceof ZodError) return { ok: false, message: err.issues.map((i) => i.message).join("; ") };
  if (err instanceof HostInputError) return { ok: false, message: err.message, errors: err.fieldErrors };
  if (err instanceof HostNotFoundError || err instanceof HostInUseError) return { ok: false, message: err.message };
  console.error("[ferry] host action failed:", err);
  return { ok: false, message: "Unexpected error; see the server log" };
}

const serializeProbe = (p: ProbeResult): ProbeResultJson => ({ ...p, checkedAt: p.checkedAt.toISOString() }) as ProbeResultJson;

/** Save (create or edit) from the host form. */
export async function saveHostAction(_prev: HostFormState, form: FormData): Promise<HostFormState> {
  await requireUser();
  form = asForm(form);
  const id = form.get("id");
  try {
    const host =
      typeof id === "string" && id
        ? await updateHost(hostIdSchema.parse(id), { ...formInput(form), clearSecrets: form.get("clearSecrets") === "on", forgetHostKey: form.get("forgetHostKey") === "on" })
        : await createHost(formInput(form));
    revalidatePath("/hosts");
    revalidatePath("/containers");
    const pub = toPublicHost(host);
    return {
      ok: true,
      host: pub,
      message:
        pub.healthStatus === "error"
          ? `Saved "${pub.name}", but it is not reachable: ${pub.healthError}`
          : `Saved "${pub.name}" (Docker ${pub.dockerVersion}, API ${pub.apiVersion})`,
    };
  } catch (err) {
    return failure(err);
  }
}

/** "Test connection" on the form: probes without saving. */
export async function testHostAction(_prev: HostFormState, form: FormData): Promise<HostFormState> {
  await requireUser();
  try {
    const probe = await testConnection(formInput(form));
    return {
      ok: probe.ok,
      probe: serializeProbe(probe),
      message: probe.ok ? `Reachable in ${probe.latencyMs} ms` : probe.error,
    };
  } catch (err) {
    return failure(err);
  }
}

/** "Test connection" on a saved host row: probes, stores and returns the result. */
export async function recheckHostAction(id: string): Promise<HostFormState> {
  await requireUser();
  try {
    const host = toPublicHost(await refreshHealth(hostIdSchema.parse(id)));
    revalidatePath("/hosts");
    return { ok: host.healthStatus !== "error", host, message: host.healthError ?? "Reachable" };
  } catch (err) {
    return failure(err);
  }
}

/** "Probe CRIU" on a host row: checkpoints and restores a probe container there now. */
export async function probeCriuAction(id: string): Promise<HostFormState> {
  await requireUser();
  try {
    const { host, probe } = await probeHostCriu(hostIdSchema.parse(id));
    revalidatePath("/hosts");
    return { ok: probe.ok, host: toPublicHost(host), message: probe.ok ? `CRIU on ${host.name} moves everything the probe holds (${probe.durationMs} ms)` : probe.error };
  } catch (err) {
    if (err instanceof Error && "code" in err && !(err instanceof HostNotFoundError)) return { ok: false, message: err.message };
    return failure(err);
  }
}

export async function deleteHostAction(id: string): Promise<HostFormState> {
  await requireUser();
  try {
    await deleteHost(hostIdSchema.parse(id));
    revalidatePath("/hosts");
    revalidatePath("/containers");
    return { ok: true, message: "Host removed" };
  } catch (err) {
    return failure(err);
  }
}

/** Maintenance on a host row: it takes no new containers while set. */
export async function setMaintenanceAction(id: string, on: boolean): Promise<HostFormState> {
  await requireUser();
  try {
    if (typeof on !== "boolean") return { ok: false, message: "maintenance must be true or false" };
    const host = toPublicHost(await setMaintenance(hostIdSchema.parse(id), on));
    revalidatePath("/hosts");
    return { ok: true, host, message: on ? `${host.name} is in maintenance: it takes no new containers` : `${host.name} takes containers again` };
  } catch (err) {
    return failure(err);
  }
}

/** "Check every pair" under the hosts table: the checkpoint/restore probe of each source → target pair, now. */
export async function probePairsAction(): Promise<HostFormState> {
  await requireUser();
  try {
    const results = await probeAllPairs(await listHosts());
    revalidatePath("/hosts");
    const bad = results.filter((r) => r.outcome !== "works");
    return { ok: bad.length === 0, message: results.length ? `${results.length - bad.length} of ${results.length} pairs restore what the other checkpoints${bad.length ? `; refused: ${bad.map((r) => `${r.sourceName} → ${r.targetName}`).join(", ")}` : ""}` : "Register at least two reachable hosts" };
  } catch (err) {
    return failure(err);
  }
}
