// The capacity report as one self-contained HTML file (inline CSS and SVG, no script, nothing fetched): every
// budget as a bar with its status, each storage node's traffic at normal load and at peak with a node
// recovering against its limit, and the shard count traded against the rollout makespan and the controllers' CPU.
import * as fs from "node:fs";
import * as path from "node:path";
import { balancedMakespan, rolloutModelOf, tenantRolloutSeconds } from "../../capacity/rollout";
import { durationSeconds } from "../../config/fields";
import { loadStackFile, PROJECT_ROOT } from "../../config/load";
import type { PlatformConfig } from "../../config/schema";
import type { Summary } from "../../policies/summary";
import { loadStackTenants } from "../../tenants/plan";
import { budgetGroups, figure, NEAR, statusCounts, type Status } from "./budgets";

/** What the report shows, computed from a capacity report and the stack's config. */
export interface ReportData {
    stack: string;
    stackFile: string;
    policyConfigFile?: string;
    summary: Summary;
    storage: { node: string; normalGbps: number; peakGbps: number; limitGbps: number }[];
    shards?: ShardTradeOff;
}

export interface ShardTradeOff {
    chosen: number;
    /** The smallest count whose balanced plan fits the window (none up to 256: undefined). */
    recommended?: number;
    windowMinutes: number;
    /** The chosen count's makespan under the lock's assignment. */
    chosenMakespanMinutes: number;
    /** Per shard count from 1: the balanced plan's makespan, and the controllers' CPU limits + others' requests. */
    points: { shards: number; makespanMinutes: number; cpuCores: number }[];
    /** Allocatable CPU of the nodes the shard controllers run on (undefined: no such budget). */
    allocatableCores?: number;
}

/** The storage nodes' traffic from the storage-network budgets (normal and peak share one limit). */
function storageOf(summary: Summary): ReportData["storage"] {
    const nodes = new Map<string, ReportData["storage"][number]>();
    for (const b of summary.budgets) {
        const m = /^storage\.network\.(normal|peak)\.(.+)$/.exec(b.id);
        if (!m) continue;
        const n = nodes.get(m[2]) ?? { node: m[2], normalGbps: 0, peakGbps: 0, limitGbps: b.limit };
        if (m[1] === "normal") n.normalGbps = b.used;
        else n.peakGbps = b.used;
        nodes.set(m[2], n);
    }
    return [...nodes.values()];
}

/** Makespan and CPU per shard count, as `shards plan` computes them; undefined when the registry cannot be read. */
export function shardTradeOff(config: PlatformConfig, summary: Summary, projectRoot = PROJECT_ROOT): ShardTradeOff | undefined {
    let tenants;
    try {
        tenants = loadStackTenants(config, projectRoot);
    } catch {
        return undefined;
    }
    const model = rolloutModelOf(config.flux);
    const weights = tenants.registry.tenants.map((t) => tenantRolloutSeconds(t.apps.length, model));
    const chosen = config.flux.shards;
    const recommended = tenants.plan.recommendedShards;
    const c = config.flux.controllers;
    const perShard = c.source.cpu + c.kustomize.cpu + c.helm.cpu;
    const cpu = summary.budgets.find((b) => b.id === "flux.rollout.cpu");
    // What the other pods there request does not change with the shard count.
    const others = cpu ? cpu.used - chosen * perShard : 0;
    const last = Math.min(256, Math.max(8, Math.ceil(Math.max(chosen, recommended ?? chosen) * 1.5) + 2));
    const points = [];
    for (let n = 1; n <= last; n++) points.push({ shards: n, makespanMinutes: balancedMakespan(weights, n) / 60, cpuCores: others + n * perShard });
    return {
        chosen,
        recommended,
        windowMinutes: durationSeconds(config.maintenanceWindow) / 60,
        chosenMakespanMinutes: tenants.plan.makespanSeconds / 60,
        points,
        allocatableCores: cpu?.limit,
    };
}

export function reportData(report: { stack: string; stackFile: string; policyConfigFile?: string; summary: Summary }, config: PlatformConfig, projectRoot = PROJECT_ROOT): ReportData {
    return { ...report, storage: storageOf(report.summary), shards: shardTradeOff(config, report.summary, projectRoot) };
}

/** Writes the report of a capacity report to `file`. */
export function writeHtmlReport(file: string, report: { stack: string; stackFile: string; policyConfigFile?: string; summary: Summary }): void {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, htmlReport(reportData(report, loadStackFile(report.stackFile))));
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const shown = (p: string) => path.relative(PROJECT_ROOT, p) || p;
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

const CSS = `
:root { --ok: #1a7f37; --near: #9a6700; --over: #cf222e; --muted: #59636e; --line: #d1d9e0; --bar: #8c959f; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; margin: 0 auto; padding: 24px; max-width: 1100px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 14px; margin: 18px 0 6px; font-family: ui-monospace, monospace; }
.meta, .note { color: var(--muted); } .counts span { margin-right: 16px; font-weight: 600; }
.budget { display: grid; grid-template-columns: minmax(0, 1fr) 240px 200px 56px; gap: 12px; align-items: center; padding: 4px 0; border-bottom: 1px solid #f0f2f4; }
.title { overflow-wrap: anywhere; } .figures { text-align: right; font-variant-numeric: tabular-nums; }
.track { position: relative; height: 12px; background: #eef1f4; border-radius: 3px; }
.fill { position: absolute; left: 0; top: 0; bottom: 0; border-radius: 3px; }
.limit { position: absolute; top: -3px; bottom: -3px; width: 2px; background: #1f2328; }
.status { font-weight: 700; text-align: center; border-radius: 10px; font-size: 12px; padding: 1px 0; color: #fff; }
.ok .fill, .status.ok { background: var(--ok); } .near .fill, .status.near { background: var(--near); } .OVER .fill, .status.OVER { background: var(--over); }
svg text { font: 12px system-ui, sans-serif; fill: #1f2328; } svg .axis { stroke: var(--muted); } svg .grid { stroke: #eef1f4; }
.legend span { margin-right: 18px; } .swatch { display: inline-block; width: 12px; height: 12px; vertical-align: -1px; margin-right: 4px; border-radius: 2px; }
@media (max-width: 800px) { .budget { grid-template-columns: 1fr 120px; } .track { grid-column: 1 / -1; } }
`;

function budgetRows(summary: Summary): string {
    return budgetGroups(summary)
        .map((g) => {
            const rows = g.rows.map((r) => {
                // The bar spans 0 … max(limit, used); the limit is the dark mark. A floor shows what it needs against what it has.
                const span = Math.max(1, Number.isFinite(r.fill) ? r.fill : 1);
                const fill = Number.isFinite(r.fill) ? (r.fill / span) * 100 : 100;
                const limitAt = (1 / span) * 100;
                const tip = `${r.budget.id}: ${r.figures}${r.percent ? ` (${r.percent})` : ""}`;
                return `<div class="budget ${r.status}" data-id="${esc(r.budget.id)}" data-status="${r.status}" data-kind="${r.kind}" title="${esc(tip)}">
<div class="title">${esc(r.budget.title)}</div>
<div class="track" role="img" aria-label="${esc(tip)}"><div class="fill" style="width:${round(fill)}%"></div><div class="limit" style="left:calc(${round(limitAt)}% - 1px)"></div></div>
<div class="figures">${esc(r.figures)}${r.percent ? ` · ${esc(r.percent)}` : ""}</div>
<div class="status ${r.status}">${r.status}</div>
</div>`;
            });
            return `<h3>${esc(g.rule)}</h3>\n${rows.join("\n")}`;
        })
        .join("\n");
}

function storageChart(storage: ReportData["storage"]): string {
    if (storage.length === 0) return `<p class="note">No storage nodes in this stack.</p>`;
    const rowH = 58;
    const left = 120;
    const w = 900;
    // Bars end at `plot`; the figures stand in a column to their right.
    const plot = 600;
    const h = storage.length * rowH + 56;
    const max = Math.max(...storage.map((s) => Math.max(s.peakGbps, s.limitGbps))) * 1.05;
    const x = (v: number) => left + (v / max) * (plot - left);
    const colour = (used: number, limit: number): Status => (used > limit ? "OVER" : used >= NEAR * limit ? "near" : "ok");
    const fillOf: Record<Status, string> = { ok: "#1a7f37", near: "#9a6700", OVER: "#cf222e" };
    const groups = storage.map((s, i) => {
        const y = 10 + i * rowH;
        const headroom = s.limitGbps - s.peakGbps;
        return `<g class="storage-node" data-node="${esc(s.node)}" data-headroom="${round(headroom, 3)}">
<text x="0" y="${y + 24}">${esc(s.node)}</text>
<rect class="normal" x="${left}" y="${y + 4}" width="${round(x(s.normalGbps) - left)}" height="16" fill="#8c959f"><title>normal load: ${figure(s.normalGbps)} Gbps</title></rect>
<rect class="peak" x="${left}" y="${y + 24}" width="${round(x(s.peakGbps) - left)}" height="16" fill="${fillOf[colour(s.peakGbps, s.limitGbps)]}"><title>peak with a node recovering: ${figure(s.peakGbps)} Gbps</title></rect>
<line class="node-limit" x1="${round(x(s.limitGbps))}" x2="${round(x(s.limitGbps))}" y1="${y}" y2="${y + 44}" stroke="#1f2328" stroke-width="2"/>
<text x="${plot + 16}" y="${y + 17}">normal ${figure(s.normalGbps)} Gbps</text>
<text x="${plot + 16}" y="${y + 37}">peak ${figure(s.peakGbps)} of ${figure(s.limitGbps)} · headroom ${headroom >= 0 ? figure(headroom) : `−${figure(-headroom)}`}</text>
</g>`;
    });
    const ticks = niceTicks(max).filter((t) => t < max * 0.97 || t === 0).map((t) => `<line class="grid" x1="${round(x(t))}" x2="${round(x(t))}" y1="6" y2="${h - 44}"/><text x="${round(x(t))}" y="${h - 28}" text-anchor="middle">${figure(t)}</text>`);
    return `<svg class="chart storage" viewBox="0 0 ${w} ${h}" width="100%" role="img" aria-label="Ceph traffic per storage node">
${ticks.join("\n")}
${groups.join("\n")}
<text x="${(left + plot) / 2}" y="${h - 8}" text-anchor="middle">Ceph traffic per storage node, Gbps</text>
</svg>
<p class="legend"><span><i class="swatch" style="background:#8c959f"></i>normal load</span><span><i class="swatch" style="background:#1a7f37"></i>peak, a failed node recovering</span><span><i class="swatch" style="background:#1f2328;width:3px"></i>limit (the policy's headroom of the share of the baseline Ceph reaches)</span></p>`;
}

/** Round steps for an axis from 0 to max. */
function niceTicks(max: number, count = 5): number[] {
    if (!(max > 0)) return [0];
    const raw = max / count;
    const mag = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
    const out = [];
    for (let t = 0; t <= max + 1e-9; t += step) out.push(round(t, 6));
    return out;
}

function shardChart(t: ShardTradeOff): string {
    const w = 760;
    const h = 340;
    const [left, right, top, bottom] = [56, 76, 16, 44];
    const n = t.points.length;
    const maxMin = Math.max(t.windowMinutes * 1.5, Math.min(Math.max(...t.points.map((p) => p.makespanMinutes)), t.windowMinutes * 4));
    const maxCpu = Math.max(...t.points.map((p) => p.cpuCores), t.allocatableCores ?? 0) * 1.1;
    const x = (s: number) => left + ((s - 1) / Math.max(1, n - 1)) * (w - left - right);
    const yMin = (m: number) => top + (1 - Math.min(m, maxMin) / maxMin) * (h - top - bottom);
    const yCpu = (c: number) => top + (1 - c / maxCpu) * (h - top - bottom);
    const path = (ys: number[]) => ys.map((y, i) => `${i === 0 ? "M" : "L"}${round(x(i + 1))},${round(y)}`).join(" ");
    const points = t.points
        .map(
            (p) =>
                `<circle class="makespan-point${p.makespanMinutes > t.windowMinutes ? " over" : ""}" cx="${round(x(p.shards))}" cy="${round(yMin(p.makespanMinutes))}" r="3" fill="${p.makespanMinutes > t.windowMinutes ? "#cf222e" : "#0969da"}"><title>${p.shards} shards: busiest ${figure(p.makespanMinutes)} min</title></circle>` +
                `<circle class="cpu-point${t.allocatableCores !== undefined && p.cpuCores > t.allocatableCores ? " over" : ""}" cx="${round(x(p.shards))}" cy="${round(yCpu(p.cpuCores))}" r="2.5" fill="#8250df"><title>${p.shards} shards: ${figure(p.cpuCores)} cores</title></circle>`,
        )
        .join("\n");
    const xTicks = niceTicks(n).filter((s) => s >= 1).map((s) => `<text x="${round(x(s))}" y="${h - bottom + 16}" text-anchor="middle">${s}</text>`);
    const yTicks = niceTicks(maxMin, 4).map((m) => `<line class="grid" x1="${left}" x2="${w - right}" y1="${round(yMin(m))}" y2="${round(yMin(m))}"/><text x="${left - 6}" y="${round(yMin(m)) + 4}" text-anchor="end">${figure(m)}</text>`);
    const cpuTicks = niceTicks(maxCpu, 4).map((c) => `<text x="${w - right + 6}" y="${round(yCpu(c)) + 4}">${figure(c)}</text>`);
    const marker = (s: number, cls: string, label: string, colour: string) =>
        `<g class="${cls}"><line x1="${round(x(s))}" x2="${round(x(s))}" y1="${top}" y2="${h - bottom}" stroke="${colour}" stroke-width="2" stroke-dasharray="${cls === "chosen" ? "0" : "5 4"}"/><text x="${round(x(s)) + 4}" y="${top + (cls === "chosen" ? 12 : 28)}" fill="${colour}">${esc(label)}</text></g>`;
    return `<svg class="chart shards" viewBox="0 0 ${w} ${h}" width="100%" role="img" aria-label="Shard count against rollout makespan and controller CPU">
${yTicks.join("\n")}
<line class="axis" x1="${left}" x2="${w - right}" y1="${h - bottom}" y2="${h - bottom}"/>
<line class="window" x1="${left}" x2="${w - right}" y1="${round(yMin(t.windowMinutes))}" y2="${round(yMin(t.windowMinutes))}" stroke="#cf222e" stroke-width="1.5" stroke-dasharray="6 4"/>
<text x="${left + 4}" y="${round(yMin(t.windowMinutes)) - 4}" fill="#cf222e">maintenance window ${figure(t.windowMinutes)} min</text>
${t.allocatableCores !== undefined ? `<line class="allocatable" x1="${left}" x2="${w - right}" y1="${round(yCpu(t.allocatableCores))}" y2="${round(yCpu(t.allocatableCores))}" stroke="#8250df" stroke-width="1.5" stroke-dasharray="2 3"/><text x="${w - right - 4}" y="${round(yCpu(t.allocatableCores)) - 4}" text-anchor="end" fill="#8250df">allocatable ${figure(t.allocatableCores)} cores</text>` : ""}
<path class="makespan" d="${path(t.points.map((p) => yMin(p.makespanMinutes)))}" fill="none" stroke="#0969da" stroke-width="2"/>
<path class="cpu" d="${path(t.points.map((p) => yCpu(p.cpuCores)))}" fill="none" stroke="#8250df" stroke-width="1.5"/>
${points}
${marker(t.chosen, "chosen", `chosen: ${t.chosen} (busiest ${figure(t.chosenMakespanMinutes)} min)`, "#1f2328")}
${t.recommended !== undefined && t.recommended !== t.chosen ? marker(t.recommended, "recommended", `smallest that fits: ${t.recommended}`, "#1a7f37") : ""}
${xTicks.join("\n")}${cpuTicks.join("\n")}
<text x="${(left + w - right) / 2}" y="${h - 6}" text-anchor="middle">Flux shards</text>
<text x="12" y="${top + (h - top - bottom) / 2}" transform="rotate(-90 12 ${top + (h - top - bottom) / 2})" text-anchor="middle">busiest shard's rollout, min</text>
<text x="${w - 14}" y="${top + (h - top - bottom) / 2}" transform="rotate(90 ${w - 14} ${top + (h - top - bottom) / 2})" text-anchor="middle">CPU in the window, cores</text>
</svg>
<p class="legend"><span><i class="swatch" style="background:#0969da"></i>busiest shard's rollout (balanced plan)</span><span><i class="swatch" style="background:#8250df"></i>CPU in the window</span><span><i class="swatch" style="background:#cf222e"></i>over the window</span></p>`;
}

/** The report as one HTML document. */
export function htmlReport(d: ReportData): string {
    const counts = statusCounts(d.summary);
    const undecided = d.summary.undecided.length > 0 ? `<h3>not computed</h3><ul>${d.summary.undecided.map((u) => `<li>${esc(u)}</li>`).join("")}</ul>` : "";
    const shards = d.shards
        ? `<p class="note">The makespan of each count is that of a balanced plan from scratch; the chosen count's is that of the lock's assignment. The CPU counts every shard controller at its limit at once plus what the other pods on those nodes request.</p>\n${shardChart(d.shards)}`
        : `<p class="note">The tenant registry could not be read: no shard trade-off.</p>`;
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Capacity of ${esc(d.stack)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>Capacity of <code>${esc(d.stack)}</code></h1>
<p class="meta">${esc(shown(d.stackFile))} · policy config ${esc(d.policyConfigFile ? shown(d.policyConfigFile) : "none (rule defaults)")}</p>
<p class="counts"><span style="color:var(--over)">${counts.OVER} OVER</span><span style="color:var(--near)">${counts.near} near (≥ ${Math.round(NEAR * 100)} % of the limit)</span><span style="color:var(--ok)">${counts.ok} ok</span></p>
<h2>Budgets</h2>
<p class="note">Each budget is checked by the rule above it; the dark mark is its limit. A floor shows what the stack needs against what it has.</p>
${budgetRows(d.summary)}
${undecided}
<h2>Storage nodes</h2>
${storageChart(d.storage)}
<h2>Shard count</h2>
${shards}
</body>
</html>
`;
}
