// Each incident replay is its shipped base stack with only the outage's own change, so a replay fails for
// the reason it names and not because its copy of the base drifted (a changed base must be copied here).
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { stackConfig } from "../harness";
import { REPLAYS, replayFile } from "../replays/outages";

/** Leaf paths (`a.b[0].c`) where two values differ, keys of this project's namespace without its prefix. */
function differences(a: unknown, b: unknown, at = ""): string[] {
    const isObj = (v: unknown) => v !== null && typeof v === "object";
    if (!isObj(a) || !isObj(b) || Array.isArray(a) !== Array.isArray(b)) return JSON.stringify(a) === JSON.stringify(b) ? [] : [at];
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    return [...keys].flatMap((k) => {
        const seg = Array.isArray(a) ? `[${k}]` : at === "" ? k.replace(/^media-platform:/, "") : `.${k}`;
        return differences((a as any)[k], (b as any)[k], at + seg);
    });
}

describe.each(REPLAYS.map((r) => [r.name, r] as const))("replay %s", (name, { base, changes }) => {
    const replay = YAML.parse(fs.readFileSync(replayFile(name), "utf8")).config;
    const diff = differences(stackConfig(base), replay);

    it(`differs from ${base} only where it replays the outage`, () => {
        expect(diff.filter((d) => !changes.some((c) => d === c || d.startsWith(`${c}.`) || d.startsWith(`${c}[`)))).toEqual([]);
    });

    it("makes every change it declares", () => {
        for (const c of changes) expect(diff.some((d) => d === c || d.startsWith(`${c}.`) || d.startsWith(`${c}[`))).toBe(true);
    });
});

it("covers every replay file", () => {
    const files = fs.readdirSync(path.join(__dirname, "../replays")).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]);
    expect(files.sort()).toEqual(REPLAYS.map((r) => r.name).sort());
});
