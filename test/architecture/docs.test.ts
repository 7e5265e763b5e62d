// The design notes stay true to the code: every rule of the pack and every replay is in docs/outages.md, each
// replay of a numbered outage under that outage's heading with the rules it must fail on, and the layer order
// the layer test enforces is the one docs/architecture.md states.
import * as fs from "node:fs";
import * as path from "node:path";
import { RULES } from "../../policies/rules";
import { REPLAYS } from "../replays/outages";

const DOCS = path.resolve(__dirname, "../../docs");
const outages = fs.readFileSync(path.join(DOCS, "outages.md"), "utf8");
/** The text of each `## ` section, by the number its heading starts with ("beyond" for the unnumbered one). */
const sections = new Map(
    outages
        .split(/^## /m)
        .slice(1)
        .map((s) => [/^(\d+)\./.exec(s)?.[1] ?? "beyond", s] as const),
);

describe("docs/outages.md", () => {
    it("names every rule of the pack", () => {
        expect(RULES.map((r) => r.name).filter((name) => !outages.includes(`\`${name}\``))).toEqual([]);
    });

    it("puts every replay under its outage with the rules it must fail on", () => {
        const misplaced = REPLAYS.flatMap((r) => {
            const section = sections.get(/^(\d) /.exec(r.outage)?.[1] ?? "beyond") ?? "";
            return [r.name, ...r.rules].filter((n) => !section.includes(`\`${n}\``)).map((n) => `${r.name}: ${n}`);
        });
        expect(misplaced).toEqual([]);
    });
});

describe("docs/architecture.md", () => {
    it("states the layer order the layer test enforces", () => {
        const text = fs.readFileSync(path.join(DOCS, "architecture.md"), "utf8");
        const test = fs.readFileSync(path.resolve(__dirname, "layers.test.ts"), "utf8");
        const layers = [...test.matchAll(/^ {4}(\w+): \[/gm)].map((m) => m[1]);
        expect(layers.slice(0, 9)).toEqual(["contract", "capacity", "formats", "config", "tenants", "components", "stacks", "policies", "cli"]);
        const order = /^Layer order: (.+)$/m.exec(text)?.[1];
        expect(order).toBe(layers.slice(0, 9).map((l) => `\`${l}/\``).join(" → "));
    });
});
