import { describe, expect, it } from "vitest";
import { parseDropOutput } from "@/lib/migration/restore-copies";
import { tarHeader, TarFileSniffer } from "@/lib/migration/tar";

describe("the drop-copies tool's output", () => {
  it("adds up what was removed and names what could not be", () => {
    const out = ["dropped ctrd-checkpoint123 1048576", "failed ctrd-checkpoint9 errno 16", "dropped ctrd-checkpoint77 4096", "end 2 1052672 1", ""].join("\n");
    expect(parseDropOutput(out)).toEqual({ dropped: 2, bytes: 1052672, failed: ["ctrd-checkpoint9 (errno 16)"] });
  });
  it("reads nothing into a run that found no copy", () => {
    expect(parseDropOutput("end 0 0 0\n")).toEqual({ dropped: 0, bytes: 0, failed: [] });
  });
});

describe("TarFileSniffer: CRIU's inventory.img, seen as the checkpoint streams by", () => {
  const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512, 0)]);
  const entry = (name: string, body: Buffer) => Buffer.concat([tarHeader(name, body.length, 0o644, "0"), pad(body)]);
  const pax = (path: string) => {
    const rec = ` path=${path}\n`;
    const line = `${rec.length + String(rec.length + 3).length}${rec}`;
    const body = Buffer.from(line);
    const h = tarHeader("PaxHeaders/x", body.length, 0o644, "0");
    h.write("x", 156, 1, "ascii");
    let sum = 0;
    h.write("        ", 148, 8, "ascii");
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8, "ascii");
    return Buffer.concat([h, pad(body)]);
  };
  const inventory = Buffer.from("08 01 10 02 inventory of one dump");
  const pages = Buffer.alloc(70_000, 7);
  const tar = Buffer.concat([
    tarHeader("ferry-cp/", 0, 0o700, "5"),
    entry("ferry-cp/pages-1.img", pages),
    entry("ferry-cp/inventory.img", inventory),
    entry("ferry-cp/inventory.img.bak", Buffer.from("not this")),
    Buffer.alloc(1024, 0),
  ]);
  const sniff = (t: Buffer, size: number) => {
    const s = new TarFileSniffer("inventory.img", 4096);
    for (let off = 0; off < t.length; off += size) s.push(t.subarray(off, off + size));
    return s.found;
  };

  it.each([1, 7, 511, 512, 4096, 1 << 20])("finds it whatever the chunks (%i bytes)", (size) => {
    expect(sniff(tar, size)).toEqual(inventory);
  });
  it("skips bodies larger than it keeps, and follows a PAX path", () => {
    const t = Buffer.concat([pax("a-very-long-directory-name/inventory.img"), entry("short", inventory), entry("ferry-cp/pages-1.img", pages), Buffer.alloc(1024, 0)]);
    expect(sniff(t, 300)).toEqual(inventory);
    const big = new TarFileSniffer("pages-1.img", 4096);
    big.push(tar);
    expect(big.found).toBeNull();
  });
  it("finds nothing in an archive without it, and stops at the end", () => {
    expect(sniff(Buffer.concat([entry("ferry-cp/core-1.img", pages), Buffer.alloc(1024, 0), entry("ferry-cp/inventory.img", inventory)]), 512)).toBeNull();
  });
});
