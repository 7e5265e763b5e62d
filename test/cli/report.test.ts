// How budgets read to an operator: status (ok, near, OVER) by kind, floors the right way round, rows fullest
// first within each rule, text wrapped between words to the width asked for, colour only when asked for.
import type { Summary } from "../../policies/summary";
import { budgetGroups, rowOf, statusOf } from "../../cli/report/budgets";
import { capacityMarkdown } from "../../cli/report/markdown";
import { formatCapacity, hang, wrap } from "../../cli/report/text";
import { namesInShort } from "../../capacity/memory";

const b = (id: string, used: number, limit: number, extra: Partial<Summary["budgets"][number]> = {}): Summary["budgets"][number] => ({
    id,
    title: `budget ${id}`,
    used,
    limit,
    unit: "Gbps",
    rule: "r",
    ...extra,
});

describe("a budget's status", () => {
    it("is near from 90 % of a ceiling and OVER past it", () => {
        expect(statusOf(b("a", 8.9, 10))).toBe("ok");
        expect(statusOf(b("a", 9, 10))).toBe("near");
        expect(statusOf(b("a", 10, 10))).toBe("near");
        expect(statusOf(b("a", 10.01, 10))).toBe("OVER");
        expect(statusOf(b("a", 1, 0))).toBe("OVER");
        expect(statusOf(b("a", NaN, 10))).toBe("OVER");
    });

    it("is ok when full for what is full by design: exactly one, or sized from the use", () => {
        expect(statusOf(b("a", 1, 1, { kind: "exact" }))).toBe("ok");
        expect(statusOf(b("a", 2, 1, { kind: "exact" }))).toBe("OVER");
        expect(statusOf(b("a", 25000, 25002, { kind: "sized" }))).toBe("ok");
        expect(statusOf(b("a", 500, 400, { kind: "sized" }))).toBe("OVER");
    });

    it("reads a floor as what the stack needs against what it has, with no percentage", () => {
        const ok = rowOf(b("storage.nic-floor.a", 10, 25, { kind: "floor" }));
        expect(ok).toMatchObject({ status: "ok", figures: "needs ≥ 10 Gbps, has 25", used: "needs ≥ 10 Gbps", limit: "has 25 Gbps", percent: "" });
        expect(rowOf(b("storage.nic-floor.a", 10, 1, { kind: "floor" })).status).toBe("OVER");
        expect(rowOf(b("x", 2.704, 12.6)).figures).toBe("2.70 / 12.6 Gbps");
    });

    it("sorts each rule's rows fullest first, keeping the rules in the pack's order", () => {
        const groups = budgetGroups({
            budgets: [b("a", 1, 10), b("b", 9.5, 10), b("c", 1, 1, { kind: "exact", rule: "s" }), b("d", 12, 10), b("e", 5, 10)],
            undecided: [],
        });
        expect(groups.map((g) => [g.rule, g.rows.map((r) => r.budget.id)])).toEqual([
            ["r", ["d", "b", "e", "a"]],
            ["s", ["c"]],
        ]);
    });
});

describe("text for a terminal", () => {
    const long = "threads the default queue needs at 70 % busy (λW = 20) against threads serving it (worker-default/sidekiq, worker-federation/sidekiq)";

    it("wraps between words only, a word longer than the line kept whole", () => {
        const lines = wrap(long, 30);
        expect(lines.join(" ")).toBe(long);
        expect(lines.every((l) => l.length <= 30)).toBe(true);
        expect(wrap("a verylongwordthatdoesnotfit b", 10)).toEqual(["a", "verylongwordthatdoesnotfit", "b"]);
        expect(hang("  - ", "one two three four five six seven eight", 24, 4)).toEqual(["  - one two three four", "    five six seven eight"]);
    });

    const summary: Summary = {
        budgets: [b("storage.nic-floor.ceph-1", 10, 1, { kind: "floor", title: "Ceph's 10 Gbps networking floor against the baseline of ceph-1" }), b("q", 28.6, 37, { title: long, unit: "threads", rule: "queue" })],
        undecided: ["some-rule: cannot decide during preview: annotation x is not known until the update runs"],
    };

    it.each([50, 60, 80, 120, 200])("fills %i columns at most, every word of every title whole, a status on every budget", (width) => {
        const text = formatCapacity(summary, { width });
        const lines = text.split("\n");
        expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(width);
        for (const w of long.split(" ")) expect(text.split(/\s+/)).toContain(w);
        expect(text).toMatch(/needs ≥ 10 Gbps, has 1 +OVER$/m);
        expect(text.match(/ {2}(ok|near|OVER)$/gm)).toHaveLength(summary.budgets.length);
        expect(text).toMatch(/28\.6 \/ 37 threads +77 % {2}ok$/m);
        // The bar only where the line has room for it beside a readable title.
        expect(/[█░]/.test(text)).toBe(width >= 120);
        expect(text).toMatch(/^ {2}not computed — some-rule: cannot decide/m);
        expect(text).not.toContain("\x1b[");
    });

    it("colours the status only when asked to (a terminal without NO_COLOR)", () => {
        const text = formatCapacity(summary, { width: 100, colour: true });
        expect(text).toContain("\x1b[1m\x1b[31mOVER\x1b[0m\x1b[0m");
        expect(text).toContain("\x1b[32mok\x1b[0m");
    });

    it("shortens a numbered series of names in a title", () => {
        const names = ["helm-controller", ...[1, 2, 3].map((i) => `helm-controller-shard-${i}`), "worker-1", "a-1", "a-3", "a-7"];
        expect(namesInShort(names)).toEqual(["helm-controller", "helm-controller-shard-1…3", "worker-1", "a-{1,3,7}"]);
    });
});

describe("capacity in Markdown", () => {
    it("is a table of budget, used, limit, % and status, open when a budget is near or over", () => {
        const md = capacityMarkdown({ budgets: [b("x|y", 12, 10, { title: "a | b" })], undecided: [] });
        expect(md.split("\n")).toEqual([
            "<details open><summary>Capacity: 1 budgets — 1 OVER, 0 near, 0 ok</summary>",
            "",
            "| budget | used | limit | % | status |",
            "|---|--:|--:|--:|---|",
            "| **r** | | | | |",
            "| a \\| b | 12 Gbps | 10 Gbps | 120 % | ❌ **OVER** |",
            "",
            "</details>",
        ]);
        expect(capacityMarkdown({ budgets: [b("x", 1, 10)], undecided: [] })).toMatch(/^<details><summary>/);
    });
});
