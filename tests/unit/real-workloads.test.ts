import { describe, expect, it } from "vitest";
import { decodeAddress, describeInventory, holdsInetSockets, inventory, parseNetTable, splitCatOutput } from "@/lib/migration/connections";
import { criuHint, firstCriuError } from "@/lib/migration/criu-log";

/** Pure parts of moving real servers: socket tables, CRIU's logs. Inputs are real lines seen on the lab. */

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 41230 1 000000003b2680bb 100 0 0 10 0
   1: 0100007F:18EB 0100007F:D6A2 01 00000000:00000000 00:00000000 00000000     0        0 41231 1 0000000018a4b2cc 20 4 30 10 -1
   2: 0100007F:D6A2 0100007F:18EB 01 00000000:00000000 00:00000000 00000000     0        0 41232 1 00000000aa11bb22 20 4 30 10 -1
   3: 0300007F:1F90 0200007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 41240 1 00000000aa11bb23 20 4 30 10 -1
   4: 0300007F:1F90 0900000A:C351 06 00000000:00000000 03:000010A8 00000000     0        0 0 3 000000000935144b
   5: 020011AC:1538 090011AC:9C40 01 00000000:00000000 00:00000000 00000000   999        0 41250 1 00000000aa11bb24 20 4 30 10 -1
   6: 020011AC:9C41 020011AC:1538 01 00000000:00000000 00:00000000 00000000   999        0 41251 1 00000000aa11bb25 20 4 30 10 -1
`;

const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 51230 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:1F90 00000000000000000000000001000000:A000 01 00000000:00000000 00:00000000 00000000     0        0 51231 1 0000000000000000 20 4 30 10 -1
   2: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:A001 01 00000000:00000000 00:00000000 00000000     0        0 51232 1 0000000000000000 20 4 30 10 -1
   3: 00000000000000000000000001000000:1F90 B80D0120000000000000000001000000:A002 01 00000000:00000000 00:00000000 00000000     0        0 51233 1 0000000000000000 20 4 30 10 -1
`;

describe("socket tables of a container's network namespace", () => {
  it("decodes /proc/net addresses (little-endian words) for IPv4 and IPv6", () => {
    expect(decodeAddress("0100007F:18EB")).toEqual({ ip: "127.0.0.1", port: 6379, text: "127.0.0.1:6379" });
    expect(decodeAddress("020011AC:1538").text).toBe("172.17.0.2:5432");
    expect(decodeAddress("00000000000000000000000001000000:1F90").text).toBe("[::1]:8080");
    expect(decodeAddress("0000000000000000FFFF00000100007F:1F90").text).toBe("[::ffff:127.0.0.1]:8080");
    expect(decodeAddress("B80D0120000000000000000001000000:A002").text).toBe("[2001:db8::1]:40962");
  });

  it("tells connections between the container's own processes from those to outside peers", () => {
    const inv = inventory([...parseNetTable("tcp4", TCP), ...parseNetTable("tcp6", TCP6)]);
    expect(inv.listening).toBe(2);
    // loopback both ways, 127.0.0.3 ← 127.0.0.2, own address to own address, ::1 and ::ffff:127.0.0.1
    expect(inv.internal.map((e) => `${e.local}>${e.remote}`)).toEqual([
      "127.0.0.1:6379>127.0.0.1:54946",
      "127.0.0.1:54946>127.0.0.1:6379",
      "127.0.0.3:8080>127.0.0.2:50000",
      "172.17.0.2:40001>172.17.0.2:5432",
      "[::1]:8080>[::1]:40960",
      "[::ffff:127.0.0.1]:8080>[::ffff:127.0.0.1]:40961",
    ]);
    // a client on another address (and a TIME_WAIT, which no process holds, is left out)
    expect(inv.external.map((e) => `${e.proto} ${e.state} ${e.local}>${e.remote}`)).toEqual([
      "tcp4 ESTABLISHED 172.17.0.2:5432>172.17.0.9:40000",
      "tcp6 ESTABLISHED [::1]:8080>[2001:db8::1]:40962",
    ]);
    expect(holdsInetSockets(inv)).toBe(true);
    const said = describeInventory(inv).join("\n");
    expect(said).toMatch(/between its own processes: they move with it/);
    expect(said).toMatch(/2 connection\(s\) to peers outside the container \(172\.17\.0\.9:40000, \[2001:db8::1\]:40962\)/);
    expect(said).toMatch(/Ferry closes them just before the checkpoint/);
  });

  it("a container with no sockets holds nothing CRIU needs socket support for", () => {
    const inv = inventory([...parseNetTable("tcp4", TCP.split("\n")[0]!), ...parseNetTable("udp4", "  sl  local_address rem_address   st\n")]);
    expect(inv).toEqual({ listening: 0, udp: 0, internal: [], external: [] });
    expect(holdsInetSockets(inv)).toBe(false);
    expect(describeInventory(inv)).toEqual([]);
  });
});

const DUMP_LOG = `(00.000000) Version: 4.1.1 (gitid 0)
(00.032048) Error (criu/util.c:1533): rlimit: Can't setup RLIMIT_NOFILE for self: Operation not permitted
(00.051653) Error (criu/sockets.c:628): sockets: Can't get 1:16 opt: Operation not supported
(00.051658) Error (criu/sockets.c:628): sockets: Can't get 1:34 opt: Operation not supported
(00.051683) Error (criu/cr-dump.c:1681): Dump files (pid: 3845) failed with -1
(00.103328) Error (criu/cr-dump.c:2111): Dumping FAILED.`;

describe("CRIU's own words", () => {
  it("finds the first error line that explains a failed dump, past the noise", () => {
    expect(firstCriuError(DUMP_LOG)).toBe("sockets: Can't get 1:16 opt: Operation not supported (criu/sockets.c:628)");
    expect(firstCriuError("(00.1) Error (criu/cr-dump.c:2111): Dumping FAILED.")).toBe("Dumping FAILED. (criu/cr-dump.c:2111)");
    expect(firstCriuError("(00.0) Version: 4.2.1\n(00.2) Dumping finished successfully")).toBeNull();
  });

  it("names the fix for the failures users meet", () => {
    expect(criuHint("sockets: Can't get 1:16 opt: Operation not supported (criu/sockets.c:628)", "6.18.44-fc")).toBe(
      "cannot dump TCP/UDP sockets on kernel 6.18: CRIU 4.2 or newer is needed",
    );
    expect(criuHint("inet: Connected TCP socket, consider using --tcp-established option.", "6.18")).toMatch(/needs `tcp-established` in \/etc\/criu\/runc.conf/);
    expect(criuHint("something else entirely", "6.18")).toBeNull();
  });
});

describe("the probe tool's cat output", () => {
  it("keeps each file apart, and says which could not be read", () => {
    const out = "==> /proc/7/net/tcp\n  sl  local\n   0: 0100007F:18EB\n==> /proc/7/net/tcp6 error 2\n==> /proc/9/net/udp\n  sl\n==> end\n";
    const files = splitCatOutput(out);
    expect(files.get("/proc/7/net/tcp")).toBe("  sl  local\n   0: 0100007F:18EB");
    expect(files.get("/proc/7/net/tcp6")).toBeNull();
    expect(files.get("/proc/9/net/udp")).toBe("  sl");
    expect(files.has("/proc/8/net/tcp")).toBe(false);
  });
});
