// The layer order on the import graph: each folder imports only the folders below it, the pack only what it
// ships with, and no module imports itself back through others. docs/architecture.md draws the same order.
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

const ROOT = path.resolve(__dirname, "../..");

/** Each layer and the layers it may import (the ground floor first). */
const LAYERS: Record<string, readonly string[]> = {
    contract: [],
    capacity: ["contract"],
    formats: ["contract", "capacity"],
    config: ["contract", "capacity", "formats"],
    tenants: ["contract", "capacity", "formats", "config"],
    components: ["contract", "capacity", "formats", "config"],
    stacks: ["contract", "capacity", "formats", "config", "tenants", "components"],
    policies: ["contract", "capacity", "formats"],
    cli: ["contract", "capacity", "formats", "config", "tenants", "components", "stacks", "policies"],
};

/** npm packages each layer may import (the base is pure; the pack ships with the policy SDK only). */
const PACKAGES: Record<string, readonly string[]> = {
    contract: ["zod"],
    capacity: [],
    formats: [],
    policies: ["@pulumi/policy", "@pulumi/pulumi"],
};

interface Module {
    file: string;
    layer: string;
    /** Repository-relative files it imports. */
    local: string[];
    /** npm packages it imports (node: built-ins excluded). */
    packages: string[];
}

function sources(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) return e.name === "dist" || e.name === "node_modules" ? [] : sources(p);
        return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [p] : [];
    });
}

function resolveLocal(from: string, spec: string): string {
    const base = path.resolve(path.dirname(from), spec);
    for (const c of [`${base}.ts`, path.join(base, "index.ts"), base]) if (fs.existsSync(c) && fs.statSync(c).isFile()) return path.relative(ROOT, c);
    throw new Error(`${path.relative(ROOT, from)} imports ${spec}, which does not resolve`);
}

function packageOf(spec: string): string {
    const parts = spec.split("/");
    return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

const modules: Module[] = Object.keys(LAYERS).flatMap((layer) =>
    sources(path.join(ROOT, layer)).map((file) => {
        const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
        const specs = importedFiles.map((f) => f.fileName);
        return {
            file: path.relative(ROOT, file),
            layer,
            local: specs.filter((s) => s.startsWith(".")).map((s) => resolveLocal(file, s)),
            packages: specs.filter((s) => !s.startsWith(".") && !s.startsWith("node:")).map(packageOf),
        };
    }),
);

describe("the layer order", () => {
    it("reads every layer", () => {
        for (const layer of Object.keys(LAYERS)) expect(modules.filter((m) => m.layer === layer).length).toBeGreaterThan(0);
    });

    it("has every import run down the layers, never up or sideways", () => {
        const upward = modules.flatMap((m) =>
            m.local
                .map((to) => ({ to, layer: to.split(path.sep)[0] }))
                .filter(({ layer }) => layer !== m.layer && !LAYERS[m.layer].includes(layer))
                .map(({ to }) => `${m.file} → ${to}`),
        );
        expect(upward).toEqual([]);
    });

    it("keeps the base and the pack to the packages they may use", () => {
        const extra = modules.flatMap((m) =>
            m.layer in PACKAGES ? m.packages.filter((p) => !PACKAGES[m.layer].includes(p)).map((p) => `${m.file} imports ${p}`) : [],
        );
        expect(extra).toEqual([]);
    });

    it("has no import cycles between modules", () => {
        // Tarjan's strongly connected components over the file graph: any component of more than one file is a cycle.
        const graph = new Map(modules.map((m) => [m.file, m.local.filter((f) => f !== m.file)]));
        const index = new Map<string, number>();
        const low = new Map<string, number>();
        const stack: string[] = [];
        const onStack = new Set<string>();
        const cycles: string[][] = [];
        let next = 0;
        const visit = (v: string) => {
            index.set(v, next);
            low.set(v, next++);
            stack.push(v);
            onStack.add(v);
            for (const w of graph.get(v) ?? []) {
                if (!index.has(w)) {
                    visit(w);
                    low.set(v, Math.min(low.get(v)!, low.get(w)!));
                } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
            }
            if (low.get(v) === index.get(v)) {
                const scc: string[] = [];
                let w: string;
                do {
                    w = stack.pop()!;
                    onStack.delete(w);
                    scc.push(w);
                } while (w !== v);
                if (scc.length > 1) cycles.push(scc.sort());
            }
        };
        for (const v of graph.keys()) if (!index.has(v)) visit(v);
        expect(cycles).toEqual([]);
    });
});
