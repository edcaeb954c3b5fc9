import { Readable } from "node:stream";

/**
 * A 129-byte static x86-64 Linux program that loops on pause(2): the smallest process CRIU can
 * checkpoint. Pre-flight imports it as image ferry/criu-probe and checkpoints a container of it
 * to prove that CRIU works on a host, without starting any copy of a user's workload.
 * Bytes: ELF64 header, one PT_LOAD header, then `mov eax, 34; syscall; jmp -9`.
 */
const PAUSE_ELF_BASE64 =
  "f0VMRgIBAQAAAAAAAAAAAAIAPgABAAAAeABAAAAAAABAAAAAAAAAAAAAAAAAAAAAAAAAAEAAOAABAAAAAAAAAAEAAAAFAAAAAAAAAAAAAAAAAEAAAAAAAAAAQAAAAAAAgQAAAAAAAACBAAAAAAAAAAAQAAAAAAAAuCIAAAAPBev3";

export const PROBE_IMAGE = "ferry/criu-probe:1";

function tarHeader(name: string, size: number, mode: number): Buffer {
  const h = Buffer.alloc(512, 0);
  h.write(name, 0, 100, "utf8");
  h.write(mode.toString(8).padStart(7, "0") + "\0", 100, 8, "ascii");
  h.write("0000000\0", 108, 8, "ascii"); // uid
  h.write("0000000\0", 116, 8, "ascii"); // gid
  h.write(size.toString(8).padStart(11, "0") + "\0", 124, 12, "ascii");
  h.write(Math.floor(Date.UTC(2026, 0, 1) / 1000).toString(8).padStart(11, "0") + "\0", 136, 12, "ascii");
  h.write("        ", 148, 8, "ascii"); // checksum placeholder
  h.write("0", 156, 1, "ascii"); // regular file
  h.write("ustar\0", 257, 6, "ascii");
  h.write("00", 263, 2, "ascii");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8, "ascii");
  return h;
}

/** A tar of the probe's root filesystem: just /pause. */
export function probeRootfsTar(): Readable {
  const body = Buffer.from(PAUSE_ELF_BASE64, "base64");
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512, 0);
  return Readable.from([Buffer.concat([tarHeader("pause", body.length, 0o755), body, pad, Buffer.alloc(1024, 0)])]);
}
