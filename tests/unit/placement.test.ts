import { describe, expect, it } from "vitest";
import { CapacityLedger } from "@/lib/migration/capacity";
import { nowhereReason, pickTarget, type Candidate } from "@/lib/migration/placement";

const MiB = 1024 * 1024;

/** Places `n` containers of `need` bytes as pre-flight does: the roomiest host that fits, its ledger charged. */
function spread(n: number, need: number, hosts: { name: string; ledger: CapacityLedger; errors?: string[] }[]) {
  const placed: string[] = [];
  const nowhere: string[] = [];
  for (let i = 0; i < n; i++) {
    const room: Candidate[] = hosts.map((h) => ({ name: h.name, freeBytes: h.ledger.freeBytes, budgetBytes: h.ledger.budgetBytes, errors: h.errors ?? [] }));
    const k = pickTarget(room, need);
    if (k < 0) nowhere.push(nowhereReason(room, need));
    else {
      expect(hosts[k]!.ledger.tryAdmit(need)).toBe(true);
      placed.push(hosts[k]!.name);
    }
  }
  return { placed, nowhere };
}

describe("placement of an evacuated host's containers", () => {
  it("spreads 60 containers over hosts that fit 25 and 30: 55 placed, 5 nowhere, each with the reason", () => {
    const need = 20 * MiB;
    const b = new CapacityLedger(100 * MiB + 25 * need + need / 2, 100 * MiB);
    const c = new CapacityLedger(300 * MiB + 30 * need + need / 2, 300 * MiB);
    const { placed, nowhere } = spread(60, need, [
      { name: "host-b", ledger: b },
      { name: "host-c", ledger: c },
    ]);
    expect(placed.filter((h) => h === "host-b")).toHaveLength(25);
    expect(placed.filter((h) => h === "host-c")).toHaveLength(30);
    expect(nowhere).toHaveLength(5);
    expect(nowhere[0]).toBe("no host can take it: host-b: does not fit its memory budget (needs 20.0 MiB, 10.0 MiB of 610 MiB free after the containers planned before it); host-c: does not fit its memory budget (needs 20.0 MiB, 10.0 MiB of 910 MiB free after the containers planned before it)");
  });

  it("takes the roomiest host first, so both keep a margin while they fill", () => {
    const need = 10 * MiB;
    const { placed } = spread(4, need, [
      { name: "small", ledger: new CapacityLedger(25 * MiB, 0) },
      { name: "large", ledger: new CapacityLedger(45 * MiB, 0) },
    ]);
    // large (45 free) → large (35) → small 25 vs large 25: the first of equals → large (15) vs small (25) → small.
    expect(placed).toEqual(["large", "large", "small", "large"]);
  });

  it("passes over a host with an objection and names it when nobody can take the container", () => {
    const hosts = [
      { name: "host-b", ledger: new CapacityLedger(1000 * MiB, 0), errors: ['network "app" does not exist on host-b'] },
      { name: "host-c", ledger: new CapacityLedger(1000 * MiB, 0), errors: ["host-c: host-c is in maintenance: it takes no new containers"] },
    ];
    const { placed, nowhere } = spread(1, MiB, hosts);
    expect(placed).toEqual([]);
    expect(nowhere[0]).toBe('no host can take it: host-b: network "app" does not exist on host-b; host-c: host-c is in maintenance: it takes no new containers');
    expect(nowhereReason([], MiB)).toMatch(/^no other host can take containers/);
  });
});
