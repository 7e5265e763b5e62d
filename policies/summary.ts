// The capacity summary: every budget of the stack — used / limit / % with a text bar — computed from the
// registered resources by the same functions the policy pack's capacity rules check (so the summary and the
// verdict never disagree). `check`, `capacity report` and the main job print it.
import { utilisation, type Budget } from "../contract/budget";
import { configOf, MissingFact, Undecided, type PolicyResource, type Rule } from "./framework";
import { RULES } from "./rules";

export interface Summary {
    budgets: (Budget & { rule: string })[];
    /** Budgets that could not be computed (a value unknown at preview, a fact missing): "rule: what". */
    undecided: string[];
}

/**
 * Every budget of the stack. `properties` are the per-policy thresholds (policy name → properties), e.g. the
 * reconciled per-stack policy config; a policy missing there uses its schema defaults.
 */
export function stackBudgets(resources: PolicyResource[], properties: Record<string, Record<string, unknown> | undefined> = {}, rules: Rule[] = RULES): Summary {
    const out: Summary = { budgets: [], undecided: [] };
    for (const rule of rules) {
        if (!rule.budgets) continue;
        try {
            for (const b of rule.budgets(resources, configOf(rule, properties[rule.name] ?? {}))) {
                const { urn: _urn, ...budget } = b;
                out.budgets.push({ ...budget, rule: rule.name });
            }
        } catch (e) {
            if (e instanceof Undecided || e instanceof MissingFact) out.undecided.push(`${rule.name}: ${e.message}`);
            else throw e;
        }
    }
    return out;
}

/** A text bar of `width` cells for a utilisation (over 100 % fills the bar and ends in "!"). */
export function bar(u: number, width = 20): string {
    if (!Number.isFinite(u)) return `${"█".repeat(width)}!`;
    const filled = Math.min(width, Math.round(Math.max(0, u) * width));
    return `${"█".repeat(filled)}${"░".repeat(width - filled)}${u > 1 ? "!" : " "}`;
}

function figure(n: number): string {
    if (!Number.isFinite(n)) return String(n);
    if (Number.isInteger(n)) return String(n);
    return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);
}

/** The summary as the operator reads it: one line per budget, fullest first within each group. */
export function formatSummary(summary: Summary, width = 20): string {
    if (summary.budgets.length === 0 && summary.undecided.length === 0) return "Capacity summary: no budgets (no capacity resources registered).";
    const titleWidth = Math.min(100, Math.max(...summary.budgets.map((b) => b.title.length), 10));
    const lines = ["Capacity summary (used / limit):"];
    for (const b of summary.budgets) {
        const u = utilisation(b);
        const pct = Number.isFinite(u) ? `${Math.round(u * 100)} %` : "∞";
        const title = b.title.length > titleWidth ? `${b.title.slice(0, titleWidth - 1)}…` : b.title.padEnd(titleWidth);
        lines.push(`  ${title}  ${bar(u, width)} ${`${figure(b.used)} / ${figure(b.limit)} ${b.unit}`.padEnd(24)} ${pct.padStart(6)}`);
    }
    for (const u of summary.undecided) lines.push(`  not computed — ${u}`);
    return lines.join("\n");
}
