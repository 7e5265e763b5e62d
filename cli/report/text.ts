// Text for a terminal or a log: as wide as the terminal, wrapped between words (a word longer than the line
// stays whole), a status column, colour only where colourFor allows it.
import type { Summary } from "../../policies/summary";
import { paint, type Style } from "../terminal";
import { budgetGroups, NEAR, statusCounts, type BudgetRow, type Status } from "./budgets";

/** Columns to fill: the terminal's, else $COLUMNS, else 100 (a log has no width; 100 keeps it readable). */
export function outputWidth(stream: NodeJS.WriteStream = process.stdout): number {
    if (stream.isTTY && stream.columns) return Math.max(40, stream.columns);
    const env = Number(process.env.COLUMNS);
    return Number.isInteger(env) && env >= 40 ? env : 100;
}

/**
 * Wraps text into lines of at most `width` characters (the first line `firstWidth`), breaking only at spaces;
 * keeps its own line breaks.
 */
export function wrap(text: string, width: number, firstWidth = width): string[] {
    const out: string[] = [];
    const limit = () => (out.length === 0 ? firstWidth : width);
    for (const para of text.split("\n")) {
        let line = "";
        for (const word of para.split(/ +/)) {
            if (word === "") continue;
            if (line === "") line = word;
            else if (line.length + 1 + word.length <= limit()) line += ` ${word}`;
            else {
                out.push(line);
                line = word;
            }
        }
        out.push(line);
    }
    return out;
}

/** Wraps `text` after a first-line prefix, continuing at `indent` spaces, within `width`. */
export function hang(prefix: string, text: string, width: number, indent = prefix.length): string[] {
    return wrap(text, Math.max(20, width - indent), Math.max(20, width - prefix.length)).map((l, i) => (i === 0 ? `${prefix}${l}` : `${" ".repeat(indent)}${l}`));
}

const STATUS_STYLE: Record<Status, Style[]> = { ok: ["green"], near: ["yellow"], OVER: ["red", "bold"] };

export function paintStatus(colour: boolean, status: Status, text: string = status): string {
    return STATUS_STYLE[status].reduce((t, s) => paint(colour, s, t), text);
}

const BAR = 20;

/** A text bar of BAR cells ("!" past the limit); empty for a floor, where fullness says nothing. */
function bar(r: BudgetRow): string {
    if (r.kind === "floor") return " ".repeat(BAR + 1);
    const u = r.fill;
    if (!Number.isFinite(u)) return `${"█".repeat(BAR)}!`;
    const filled = Math.min(BAR, Math.round(Math.max(0, u) * BAR));
    return `${"█".repeat(filled)}${"░".repeat(BAR - filled)}${u > 1 ? "!" : " "}`;
}

/**
 * The capacity summary for a terminal: one block per rule, fullest first; each budget's title wrapped in its
 * column, then used / limit, %, status, and a bar when the line has room for one.
 */
export function formatCapacity(summary: Summary, opts: { width?: number; colour?: boolean } = {}): string {
    const width = opts.width ?? 100;
    const colour = opts.colour ?? false;
    if (summary.budgets.length === 0 && summary.undecided.length === 0) return "Capacity: no budgets (no capacity resources registered).";
    const groups = budgetGroups(summary);
    const rows = groups.flatMap((g) => g.rows);
    const counts = statusCounts(summary);
    const figW = Math.min(30, Math.max(10, ...rows.map((r) => r.figures.length)));
    const pctW = 6;
    // indent 2, gaps of 2 between title, figures, %, status (4).
    const fixed = 2 + 2 + figW + 1 + pctW + 2 + 4;
    const withBar = width - fixed - (BAR + 2) >= 56;
    const titleW = width - fixed - (withBar ? BAR + 2 : 0);
    // Too narrow for a title column: each title on its own lines, the figures under it.
    const narrow = titleW < 24;
    const head = `Capacity: ${summary.budgets.length} budgets — ${counts.OVER} OVER, ${counts.near} near (≥ ${Math.round(NEAR * 100)} % of the limit), ${counts.ok} ok`;
    const lines = hang("", head, width, 2).map((l) =>
        l
            .replace(`${counts.OVER} OVER`, paintStatus(colour, "OVER", `${counts.OVER} OVER`))
            .replace(`${counts.near} near`, paintStatus(colour, "near", `${counts.near} near`))
            .replace(`${counts.ok} ok`, paintStatus(colour, "ok", `${counts.ok} ok`)),
    );
    for (const g of groups) {
        lines.push(paint(colour, "bold", g.rule));
        for (const r of g.rows) {
            const status = paintStatus(colour, r.status);
            const right = `${withBar ? `${paint(colour, "dim", bar(r))} ` : ""}${r.figures.padStart(figW)} ${r.percent.padStart(pctW)}  ${status}`;
            if (narrow) {
                lines.push(...hang("  ", r.budget.title, width, 4), `    ${r.figures} ${r.percent}  ${status}`.trimEnd());
                continue;
            }
            const title = wrap(r.budget.title, titleW - 2, titleW);
            lines.push(`  ${title[0].padEnd(titleW)}  ${right}`.trimEnd());
            for (const l of title.slice(1)) lines.push(`    ${l}`);
        }
    }
    for (const u of summary.undecided) lines.push(...hang("  not computed — ", u, width, 4));
    return lines.join("\n");
}
