"use client";
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatMs } from "@/lib/format";
import { AXIS, OUTCOME_COLORS, PHASE_COLORS, TOOLTIP } from "@/components/charts/colors";
import { ChartCard } from "@/components/charts/chart-card";

const ms = (v: unknown) => formatMs(Number(v));

export function DowntimeHistogram({ data, subtitle }: { data: { label: string; count: number }[]; subtitle?: string }) {
  const total = data.reduce((s, d) => s + d.count, 0);
  return (
    <ChartCard id="downtime" title="Downtime distribution" subtitle={subtitle} empty={total ? null : "No finished migrations yet"}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 24, left: 16 }}>
          <CartesianGrid strokeOpacity={0.15} vertical={false} />
          <XAxis dataKey="label" {...AXIS} interval={0} angle={-25} textAnchor="end" height={48} label={{ value: "downtime", position: "insideBottom", offset: -18, fill: "currentColor", fontSize: 12 }} />
          <YAxis allowDecimals={false} {...AXIS} width={40} label={{ value: "containers", angle: -90, position: "insideLeft", fill: "currentColor", fontSize: 12 }} />
          <Tooltip {...TOOLTIP} formatter={(v) => [`${v} containers`, "count"]} />
          <Bar dataKey="count" name="containers" fill="#0d9488" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

export function PhaseStack({ data, phases }: { data: Record<string, string | number | null>[]; phases: string[] }) {
  return (
    <ChartCard id="phases" title="Phase durations per container" subtitle="stacked, ms" empty={data.length ? null : "No phases recorded"}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} layout="vertical" margin={{ top: 4, right: 12, bottom: 4, left: 8 }}>
          <CartesianGrid strokeOpacity={0.15} horizontal={false} />
          <XAxis type="number" {...AXIS} tickFormatter={ms} />
          <YAxis type="category" dataKey="name" {...AXIS} width={110} />
          <Tooltip {...TOOLTIP} formatter={(v, n) => [ms(v), String(n)]} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {phases.map((p) => (
            <Bar key={p} dataKey={p} stackId="p" fill={PHASE_COLORS[p]} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

export function PerDayChart({ data }: { data: { day: string; done: number; "rolled-back": number; skipped: number; failed: number }[] }) {
  return (
    <ChartCard id="per-day" title="Containers migrated per day" subtitle="by outcome" empty={data.length ? null : "Nothing migrated in this range"}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 4, left: 0 }}>
          <CartesianGrid strokeOpacity={0.15} vertical={false} />
          <XAxis dataKey="day" {...AXIS} />
          <YAxis allowDecimals={false} {...AXIS} width={40} />
          <Tooltip {...TOOLTIP} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {(["done", "rolled-back", "skipped", "failed"] as const).map((k) => (
            <Bar key={k} dataKey={k} stackId="o" fill={OUTCOME_COLORS[k]} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

export function ThroughputChart({ data }: { data: { at: string; perMin: number }[] }) {
  const rows = data.map((d) => ({ ...d, when: d.at.slice(0, 16).replace("T", " ") }));
  return (
    <ChartCard id="throughput" title="Throughput per batch" subtitle="containers/min" empty={rows.length ? null : "No finished batch yet"}>
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={rows} margin={{ top: 8, right: 24, bottom: 4, left: 0 }}>
          <CartesianGrid strokeOpacity={0.15} />
          <XAxis dataKey="when" {...AXIS} />
          <YAxis {...AXIS} width={64} unit="/min" />
          <Tooltip {...TOOLTIP} formatter={(v) => [`${v} containers/min`, "throughput"]} />
          <Line type="monotone" dataKey="perMin" name="containers/min" stroke="#0d9488" strokeWidth={2} dot isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

export function SuccessRateChart({ data }: { data: { day: string; rate: number; total: number }[] }) {
  return (
    <ChartCard id="success" title="Success rate" subtitle="% of attempted containers that moved, per day" empty={data.length ? null : "Nothing attempted in this range"}>
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={data} margin={{ top: 8, right: 12, bottom: 4, left: 0 }}>
          <CartesianGrid strokeOpacity={0.15} />
          <XAxis dataKey="day" {...AXIS} />
          <YAxis domain={[0, 100]} {...AXIS} width={44} unit="%" />
          <Tooltip {...TOOLTIP} formatter={(v, _n, p) => [`${v}% of ${(p.payload as { total: number }).total}`, "moved"]} />
          <Line type="monotone" dataKey="rate" name="success %" stroke="#16a34a" strokeWidth={2} dot isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}
