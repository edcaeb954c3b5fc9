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

/**
 * The regular files of a tar archive (the archive API's answer for a directory), by path. Entries
 * of other types (directories, PAX headers) are skipped; a PAX `path` applies to the next entry.
 */
export function tarFiles(tar: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let off = 0;
  let paxPath: string | null = null;
  while (off + 512 <= tar.length) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const { name, size, type } = readHeader(h, paxPath);
    const body = tar.subarray(off + 512, off + 512 + size);
    paxPath = null;
    if (type === "x") paxPath = paxPathOf(body);
    else if (isFile(type)) files.set(name, body);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/** A ustar header's path (a PAX `path` before it wins), size and type. */
function readHeader(h: Buffer, paxPath: string | null): { name: string; size: number; type: string } {
  const field = (start: number, len: number) => h.subarray(start, start + len).toString("utf8").replace(/\0.*$/s, "");
  const prefix = field(345, 155);
  return {
    name: paxPath ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100)),
    size: parseInt(field(124, 12).trim() || "0", 8) || 0,
    type: field(156, 1) || "0",
  };
}

const paxPathOf = (body: Buffer) => /\d+ path=([^\n]*)\n/.exec(body.toString("utf8"))?.[1] ?? null;
const isFile = (type: string) => type === "0" || type === "7";

/**
 * Watches a tar stream go by and keeps one small regular file of it: the first whose path is
 * `base` or ends in `/<base>`. Nothing else is held: headers are parsed as they pass, other bodies
 * skipped, so a 1 GiB checkpoint costs no memory. A PAX `path` applies to the next entry; the
 * first all-zero block ends the archive.
 */
export class TarFileSniffer {
  found: Buffer | null = null;
  private head: Buffer[] = [];
  private headLen = 0;
  private body = 0;
  private pad = 0;
  private take: Buffer[] | null = null;
  private takeKind: "file" | "pax" | null = null;
  private paxPath: string | null = null;
  private ended = false;

  constructor(
    private readonly base: string,
    private readonly maxBytes = 64 * 1024,
  ) {}

  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length && !this.ended) {
      if (this.body > 0) {
        const n = Math.min(this.body, chunk.length - off);
        this.take?.push(chunk.subarray(off, off + n));
        this.body -= n;
        off += n;
        if (this.body === 0) this.endBody();
      } else if (this.pad > 0) {
        const n = Math.min(this.pad, chunk.length - off);
        this.pad -= n;
        off += n;
      } else {
        const n = Math.min(512 - this.headLen, chunk.length - off);
        this.head.push(chunk.subarray(off, off + n));
        this.headLen += n;
        off += n;
        if (this.headLen === 512) {
          const h = Buffer.concat(this.head);
          this.head = [];
          this.headLen = 0;
          this.header(h);
        }
      }
    }
  }

  private header(h: Buffer): void {
    if (h.every((b) => b === 0)) {
      this.ended = true;
      return;
    }
    const { name, size, type } = readHeader(h, this.paxPath);
    this.paxPath = null;
    this.body = size;
    this.pad = (512 - (size % 512)) % 512;
    this.takeKind = null;
    if (size <= this.maxBytes) {
      if (type === "x") this.takeKind = "pax";
      else if (isFile(type) && !this.found && (name === this.base || name.endsWith(`/${this.base}`))) this.takeKind = "file";
    }
    this.take = this.takeKind ? [] : null;
    if (size === 0) this.endBody();
  }

  private endBody(): void {
    const body = Buffer.concat(this.take ?? []);
    if (this.takeKind === "pax") this.paxPath = paxPathOf(body);
    if (this.takeKind === "file") this.found = body;
    this.take = null;
    this.takeKind = null;
  }
}
