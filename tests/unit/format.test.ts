import { describe, expect, it } from "vitest";
import { formatBytes, formatDuration, formatMs, parseDockerUptime, timeAgo } from "@/lib/format";

describe("parseDockerUptime", () => {
  it.each([
    ["Up Less than a second", 0],
    ["Up 1 second", 1],
    ["Up 45 seconds", 45],
    ["Up About a minute", 60],
    ["Up 3 minutes", 180],
    ["Up About an hour", 3600],
    ["Up 2 hours", 7200],
    ["Up 3 days", 3 * 86400],
    ["Up 2 weeks", 14 * 86400],
    ["Up 5 minutes (Paused)", 300],
    ["Up 7 minutes (healthy)", 420],
  ])("%s -> %d s", (text, seconds) => expect(parseDockerUptime(text)).toBe(seconds));
  it.each(["Exited (137) 2 minutes ago", "Created", "Restarting (1) 3 seconds ago", "Up sometime"])("%s is no uptime", (text) =>
    expect(parseDockerUptime(text)).toBeNull(),
  );
});

describe("formatting", () => {
  it("formats bytes in binary units", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(14 * 1024 * 1024)).toBe("14.0 MiB");
    expect(formatBytes(2 * 1024 ** 3)).toBe("2.0 GiB");
    expect(formatBytes(null)).toBe("—");
  });
  it("formats durations", () => {
    expect(formatDuration(5)).toBe("5s");
    expect(formatDuration(125)).toBe("2m 5s");
    expect(formatDuration(3 * 3600 + 120)).toBe("3h 2m");
    expect(formatDuration(90000)).toBe("1d 1h");
    expect(formatMs(690)).toBe("690 ms");
    expect(formatMs(2900)).toBe("2.90 s");
  });
  it("says how long ago", () => {
    const now = Date.parse("2026-01-01T00:10:00Z");
    expect(timeAgo("2026-01-01T00:09:58Z", now)).toBe("just now");
    expect(timeAgo("2026-01-01T00:08:00Z", now)).toBe("2m 0s ago");
    expect(timeAgo(null, now)).toBe("never");
  });
});
