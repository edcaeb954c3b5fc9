/** The few tar archives Ferry writes itself (ustar, for the Engine API's archive and import calls). Pure. */

const MTIME = Math.floor(Date.UTC(2026, 0, 1) / 1000);

/** One ustar header: typeflag "0" for a regular file, "5" for a directory (name ends in "/"). */
export function tarHeader(name: string, size: number, mode: number, type: "0" | "5"): Buffer {
  const h = Buffer.alloc(512, 0);
  h.write(name, 0, 100, "utf8");
  h.write(mode.toString(8).padStart(7, "0") + "\0", 100, 8, "ascii");
  h.write("0000000\0", 108, 8, "ascii"); // uid
  h.write("0000000\0", 116, 8, "ascii"); // gid
  h.write(size.toString(8).padStart(11, "0") + "\0", 124, 12, "ascii");
  h.write(MTIME.toString(8).padStart(11, "0") + "\0", 136, 12, "ascii");
  h.write("        ", 148, 8, "ascii"); // checksum placeholder
  h.write(type, 156, 1, "ascii");
  h.write("ustar\0", 257, 6, "ascii");
  h.write("00", 263, 2, "ascii");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8, "ascii");
  return h;
}

/** A whole archive of one regular file (0644). */
export function oneFileTar(name: string, body: Buffer): Buffer {
  return Buffer.concat([tarHeader(name, body.length, 0o644, "0"), body, Buffer.alloc((512 - (body.length % 512)) % 512, 0), Buffer.alloc(1024, 0)]);
}
