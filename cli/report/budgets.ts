// How a budget reads to an operator, whatever prints it (terminal, PR comment, HTML): its status, its figures
// the right way round (a floor is what the stack needs against what it has) and the order of the rows.
import { utilisation, type Budget, type BudgetKind } from "../../contract/budget";
import type { Summary } from "../../policies/summary";

export type Status = "ok" | "near" | "OVER";

/** A ceiling budget is near its limit from this fraction of it on. */
export const NEAR = 0.9;

export type SummaryBudget = Summary["budgets"][number];

export interface BudgetRow {
    budget: SummaryBudget;
    kind: BudgetKind;
    status: Status;
    /** How full it is: used / limit (a floor: what it needs / what it has); Infinity for a 0 limit. */
    fill: number;
    /** The figures as one phrase, e.g. "2.70 / 12.6 Gbps" or "needs ≥ 10 Gbps, has 25". */
    figures: string;
    /** used and limit as table cells, with their unit. */
    used: string;
    limit: string;
    /** "69 %", "∞", or "" where a percentage says nothing (a floor). */
    percent: string;
}

export interface BudgetGroup {
    /** The rule that checks these budgets. */
    rule: string;
    rows: BudgetRow[];
}

/** A figure with as many digits as it needs to be read: 3 significant digits, whole numbers as they are. */
export function figure(n: number): string {
    if (!Number.isFinite(n)) return String(n);
    if (Number.isInteger(n)) return String(n);
    return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);
}

export function statusOf(b: Pick<Budget, "used" | "limit" | "kind">): Status {
    if (!(b.used <= b.limit)) return "OVER";
    const kind = b.kind ?? "ceiling";
    if (kind === "ceiling" && utilisation(b) >= NEAR) return "near";
    return "ok";
}

export function rowOf(budget: SummaryBudget): BudgetRow {
    const kind = budget.kind ?? "ceiling";
    const fill = utilisation(budget);
    const u = figure(budget.used);
    const l = figure(budget.limit);
    const unit = budget.unit;
    if (kind === "floor") {
        return { budget, kind, status: statusOf(budget), fill, figures: `needs ≥ ${u} ${unit}, has ${l}`, used: `needs ≥ ${u} ${unit}`, limit: `has ${l} ${unit}`, percent: "" };
    }
    const percent = Number.isFinite(fill) ? `${Math.round(fill * 100)} %` : "∞";
    return {
        budget,
        kind,
        status: statusOf(budget),
        fill,
        figures: `${u} / ${kind === "exact" ? "exactly " : ""}${l} ${unit}`,
        used: `${u} ${unit}`,
        limit: `${kind === "exact" ? "exactly " : ""}${l} ${unit}`,
        percent,
    };
}

/** The budgets by rule, in the pack's rule order, fullest first within each rule. */
export function budgetGroups(summary: Summary): BudgetGroup[] {
    const groups = new Map<string, BudgetRow[]>();
    for (const b of summary.budgets) groups.set(b.rule, [...(groups.get(b.rule) ?? []), rowOf(b)]);
    const order: Record<Status, number> = { OVER: 0, near: 1, ok: 2 };
    return [...groups].map(([rule, rows]) => ({
        rule,
        // Stable: equal rows keep the order the rule gave them (node by node).
        rows: rows
            .map((r, i) => ({ r, i }))
            .sort((a, b) => order[a.r.status] - order[b.r.status] || fillKey(b.r) - fillKey(a.r) || a.i - b.i)
            .map(({ r }) => r),
    }));
}

// An exact or sized budget at its limit is as it should be: it sorts below ceilings that are filling up.
const fillKey = (r: BudgetRow) => (r.status === "ok" && (r.kind === "exact" || r.kind === "sized") ? 0 : Number.isFinite(r.fill) ? r.fill : Number.MAX_VALUE);

/** Counts of rows by status. */
export function statusCounts(summary: Summary): Record<Status, number> {
    const out: Record<Status, number> = { ok: 0, near: 0, OVER: 0 };
    for (const b of summary.budgets) out[statusOf(b)]++;
    return out;
}
