// One stack's section of the pull-request comment (and of the workflow's step summary, and of a drift
// issue): the verdict; replacements and deletions of resources that hold data, at the top and in bold, then
// every other change collapsed; each violation with its rule, resource, message, fix and remediation steps;
// the capacity as a table narrow enough to read without scrolling sideways.
import * as path from "node:path";
import type { Summary } from "../../policies/summary";
import { budgetGroups, statusCounts, type Status } from "./budgets";
import { changedResources, type Change } from "./changes";
import { byRule, type ExplainedViolation } from "./violations";
import type { EngineRun } from "../engine";

/** What an operation is called in the verdict. */
export type Operation = "preview" | "update" | "drift check";

export interface SectionOptions {
    operation?: Operation;
    /** The policy config the pack ran with. */
    policyConfig?: string;
    /** The run's violations, explained (remediation steps, fixes). */
    violations: ExplainedViolation[];
    capacity: Summary;
    /** The run was told to expect no changes (a drift check). */
    expectNoChanges?: boolean;
    /** At most this many other changes are listed (GitHub caps a comment at 65,536 characters). */
    maxChanges?: number;
}

/** Backslash-escapes what would end a table cell or start formatting. */
const cell = (s: string) => s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\n/g, " ");
const code = (s: string) => `\`${s.replace(/`/g, "ˋ")}\``;

const CHANGE_WORDS: Record<Change, [string, string]> = {
    create: ["to create", "+"],
    update: ["to update", "~"],
    replace: ["to replace", "+-"],
    delete: ["to delete", "-"],
    import: ["to import", "="],
    other: ["other", "*"],
};

const STATUS_CELL: Record<Status, string> = { ok: "ok", near: "⚠️ near", OVER: "❌ **OVER**" };

/** Changes counted by kind: "1 to replace, 2 to update". */
function counted(kinds: Change[]): string {
    const n = new Map<Change, number>();
    for (const k of kinds) n.set(k, (n.get(k) ?? 0) + 1);
    return (Object.keys(CHANGE_WORDS) as Change[])
        .filter((k) => n.has(k))
        .map((k) => `${n.get(k)} ${CHANGE_WORDS[k][0]}`)
        .join(", ");
}

function verdict(run: EngineRun, o: SectionOptions, changed: number): string {
    const op = o.operation ?? (run.kind === "update" ? "update" : "preview");
    const mandatory = o.violations.filter((v) => v.enforcementLevel === "mandatory").length;
    const advisory = o.violations.length - mandatory;
    if (mandatory > 0) return `❌ ${op} failed: ${mandatory} mandatory polic${mandatory === 1 ? "y violation" : "y violations"}`;
    if (o.expectNoChanges && changed > 0) return `⚠️ ${changed} change${changed === 1 ? "" : "s"} where none were expected`;
    if (!run.ok) return `❌ ${op} failed`;
    return `✅ ${op} passed${advisory > 0 ? ` (${advisory} advisory)` : ""}${o.expectNoChanges ? ": no changes" : ""}`;
}

/** The section of one stack's run. */
export function runMarkdown(run: EngineRun, o: SectionOptions): string {
    const changed = changedResources(run);
    const lines = [`### ${code(run.stack)} — ${verdict(run, o, changed.length)}`, ""];
    const total = run.steps.length;
    lines.push(
        `${changed.length === 0 ? `No changes (${total} resources)` : `${counted(changed.map((c) => c.change))}, ${total - changed.length} unchanged`} · policy config ${code(o.policyConfig ? path.relative(process.cwd(), o.policyConfig) : "none (rule defaults)")}`,
        "",
    );

    const destroying = changed.filter((c) => c.destroysData);
    if (destroying.length > 0) {
        lines.push(`**⚠️ ${destroying.length === 1 ? "A resource that holds data is" : `${destroying.length} resources that hold data are`} replaced or deleted: their data goes with them.**`, "");
        for (const c of destroying) {
            const s = c.step;
            const diffs = s.diffs.length > 0 ? ` — changed: ${s.diffs.map(code).join(", ")}` : "";
            lines.push(`- **${c.change} ${code(s.name)}** (${code(s.type)}${s.resource?.protect ? ", protected" : ""})${diffs}`);
        }
        lines.push("");
    }
    const others = changed.filter((c) => !c.destroysData);
    if (others.length > 0) {
        const max = o.maxChanges ?? 150;
        lines.push(`<details><summary>${destroying.length > 0 ? "Other changes" : "Changes"}: ${counted(others.map((c) => c.change))}</summary>`, "");
        const diffs = (c: (typeof others)[number]) => (c.change === "create" ? [] : c.step.diffs);
        // The column of changed properties only when some change names them (creates never do).
        const withDiffs = others.some((c) => diffs(c).length > 0);
        lines.push(`| | resource | type |${withDiffs ? " changed |" : ""}`, `|---|---|---|${withDiffs ? "---|" : ""}`);
        for (const c of others.slice(0, max)) {
            const d = diffs(c);
            lines.push(`| ${code(CHANGE_WORDS[c.change][1])} | ${code(c.step.name)} | ${code(c.step.type)} |${withDiffs ? ` ${cell(d.slice(0, 6).join(", ") + (d.length > 6 ? ", …" : ""))} |` : ""}`);
        }
        if (others.length > max) lines.push(`| | … and ${others.length - max} more | |${withDiffs ? " |" : ""}`);
        lines.push("", "</details>", "");
    }

    const errors = run.errors.filter((e) => !/^(preview|update) failed$/i.test(e.trim()));
    if (errors.length > 0 || (!run.ok && o.violations.length === 0 && run.failure && !(o.expectNoChanges && changed.length > 0))) {
        lines.push("**Engine errors:**", "");
        for (const e of errors.length > 0 ? errors : [run.failure!.split("\n").slice(0, 12).join("\n")]) lines.push(`> ${e.split("\n").map((l) => l.trim()).join(" ")}`, "");
    }

    if (o.violations.length > 0) {
        const mandatory = o.violations.filter((v) => v.enforcementLevel === "mandatory").length;
        lines.push(`#### Policy violations: ${mandatory} mandatory, ${o.violations.length - mandatory} advisory`, "");
        for (const g of byRule(o.violations)) {
            const first = g.violations[0];
            lines.push(`**${g.level === "mandatory" ? "❌" : "⚠️"} ${g.level} · ${code(g.policyName)}**${first.description ? ` — ${first.description}` : ""}`, "");
            for (const v of g.violations) {
                const who = v.resource ? `${code(v.resource.name)} (${code(v.resource.type)})` : "the stack";
                lines.push(`- ${who}: ${v.message.split("\n").join(" ")}${v.fix ? `<br>**Smallest fix:** ${code(v.fix.change)}${v.fix.note ? ` (${v.fix.note})` : ""}` : ""}`);
            }
            if (first.remediationSteps) lines.push("", `**How to fix:** ${first.remediationSteps}`);
            lines.push("");
        }
    }

    lines.push(capacityMarkdown(o.capacity), "");
    return lines.join("\n");
}

/** The capacity as a table: budget | used | limit | % | status, one block per rule, fullest first. */
export function capacityMarkdown(summary: Summary): string {
    if (summary.budgets.length === 0 && summary.undecided.length === 0) return "Capacity: no budgets.";
    const counts = statusCounts(summary);
    const open = counts.OVER + counts.near > 0 ? " open" : "";
    const lines = [
        `<details${open}><summary>Capacity: ${summary.budgets.length} budgets — ${counts.OVER} OVER, ${counts.near} near, ${counts.ok} ok</summary>`,
        "",
        "| budget | used | limit | % | status |",
        "|---|--:|--:|--:|---|",
    ];
    for (const g of budgetGroups(summary)) {
        lines.push(`| **${cell(g.rule)}** | | | | |`);
        for (const r of g.rows) lines.push(`| ${cell(r.budget.title)} | ${cell(r.used)} | ${cell(r.limit)} | ${r.percent} | ${STATUS_CELL[r.status]} |`);
    }
    lines.push("");
    for (const u of summary.undecided) lines.push(`- not computed: ${u}`);
    lines.push("</details>");
    return lines.join("\n");
}
