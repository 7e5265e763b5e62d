// The CRDs as the stack installs them: the upstream copies in schemas/crds with the prose of their schemas left
// out, and nothing else changed, so the cluster validates and defaults exactly as upstream does.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { crdFiles, installedCrd, readCrds, upstreamCrds, type CrdManifest } from "../../components/crds";

const ALL = (["flux", "rook", "cnpg"] as const).flatMap((set) => upstreamCrds(set));

/** Where `installed` differs from `upstream` other than by a dropped text description inside a schema. */
function differences(upstream: unknown, installed: unknown, at: string, inSchema: boolean, out: string[]): string[] {
    if (upstream === null || typeof upstream !== "object") {
        if (upstream !== installed) out.push(`${at}: ${JSON.stringify(upstream)} became ${JSON.stringify(installed)}`);
        return out;
    }
    if (installed === null || typeof installed !== "object" || Array.isArray(upstream) !== Array.isArray(installed)) {
        out.push(`${at}: an ${Array.isArray(upstream) ? "array" : "object"} became ${JSON.stringify(installed)}`);
        return out;
    }
    const u = upstream as Record<string, unknown>;
    const i = installed as Record<string, unknown>;
    for (const k of Object.keys(i)) if (!(k in u)) out.push(`${at}.${k}: added`);
    for (const [k, v] of Object.entries(u)) {
        const schema = inSchema || k === "openAPIV3Schema";
        if (inSchema && k === "description" && typeof v === "string") {
            if (k in i) out.push(`${at}.${k}: kept`);
            continue;
        }
        if (!(k in i)) out.push(`${at}.${k}: dropped`);
        else differences(v, i[k], `${at}.${k}`, schema, out);
    }
    return out;
}

const descriptions = (v: unknown): number =>
    Array.isArray(v) ? v.reduce((n: number, x) => n + descriptions(x), 0) : v && typeof v === "object" ? Object.entries(v).reduce((n, [k, x]) => n + (k === "description" && typeof x === "string" ? 1 : descriptions(x)), 0) : 0;

const schemaOf = (crd: CrdManifest) => (crd.spec.versions as { schema: { openAPIV3Schema: unknown } }[]).map((v) => v.schema.openAPIV3Schema);

describe("the CRDs the stack installs", () => {
    it("are the upstream files without the text descriptions of their schemas, every other field unchanged", () => {
        expect(ALL.length).toBe(40);
        for (const crd of ALL) {
            const installed = installedCrd(crd);
            expect([crd.metadata.name, differences(crd, installed, crd.metadata.name, false, [])]).toEqual([crd.metadata.name, []]);
            expect([crd.metadata.name, descriptions(schemaOf(installed))]).toEqual([crd.metadata.name, 0]);
        }
    });

    it("keep a field that is named description, and the prose outside the schemas (printer columns)", () => {
        const clusters = installedCrd(ALL.find((c) => c.metadata.name === "clusters.postgresql.cnpg.io")!);
        const spec = (schemaOf(clusters)[0] as { properties: { spec: { properties: Record<string, unknown> } } }).properties.spec.properties;
        expect(spec.description).toEqual({ type: "string" });
        const upstreamColumns = ALL.flatMap((c) => (c.spec.versions as { additionalPrinterColumns?: { description?: string }[] }[]).flatMap((v) => v.additionalPrinterColumns ?? []));
        const installedColumns = ALL.map(installedCrd).flatMap((c) => (c.spec.versions as { additionalPrinterColumns?: unknown[] }[]).flatMap((v) => v.additionalPrinterColumns ?? []));
        expect(upstreamColumns.some((c) => c.description)).toBe(true);
        expect(installedColumns).toEqual(upstreamColumns);
    });

    it("keep data exactly as written: defaults, examples and allowed values, even when they hold a description", () => {
        const placement = { name: "default", description: "the placement new buckets get" };
        const crd = {
            apiVersion: "apiextensions.k8s.io/v1",
            kind: "CustomResourceDefinition",
            metadata: { name: "widgets.example.io" },
            spec: {
                group: "example.io",
                names: { kind: "Widget", plural: "widgets" },
                versions: [
                    {
                        name: "v1",
                        schema: {
                            openAPIV3Schema: {
                                description: "A widget.",
                                type: "object",
                                properties: {
                                    default: { description: "A field named default.", type: "object", default: placement, example: placement },
                                    kind: { description: "A field with allowed values.", type: "object", enum: [placement] },
                                },
                            },
                        },
                    },
                ],
            },
        } as CrdManifest;
        expect(schemaOf(installedCrd(crd))[0]).toEqual({
            type: "object",
            properties: { default: { type: "object", default: placement, example: placement }, kind: { type: "object", enum: [placement] } },
        });
    });

    it("are a third of the upstream bytes", () => {
        const bytes = (crds: unknown[]) => crds.reduce((n: number, c) => n + JSON.stringify(c).length, 0);
        expect(bytes(ALL.map(installedCrd)) / bytes(ALL)).toBeLessThan(0.4);
    });

    it("leave the upstream copies as they were read", () => {
        const before = JSON.stringify(ALL);
        ALL.forEach(installedCrd);
        expect(JSON.stringify(ALL)).toBe(before);
    });

    it("are parsed once per content: the kept parse equals each file's own documents, and later reads come from it", () => {
        const home = fs.mkdtempSync(path.join(os.tmpdir(), "crd-cache-"));
        const env = { XDG_CACHE_HOME: home };
        const kept = () => fs.readdirSync(path.join(home, "media-platform", "parsed")).filter((f) => f.startsWith("yaml-documents-"));
        try {
            for (const set of ["flux", "rook", "cnpg"] as const) {
                const direct = crdFiles(set)
                    .flatMap((f) => YAML.parseAllDocuments(fs.readFileSync(f, "utf8")).map((d) => d.toJS()))
                    .filter((o) => o?.kind === "CustomResourceDefinition")
                    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
                expect(readCrds(set, env)).toEqual(direct);
                expect(readCrds(set, env)).toEqual(direct);
                expect(readCrds(set, { ...env, MEDIA_PLATFORM_PARSE_CACHE: "off" })).toEqual(direct);
            }
            expect(kept()).toHaveLength(3);
            // A kept entry is used as it is: one altered on disk shows, so the reads above came from it.
            const rook = kept().map((f) => path.join(home, "media-platform", "parsed", f)).find((f) => fs.readFileSync(f, "utf8").includes("cephclusters.ceph.rook.io"))!;
            fs.writeFileSync(rook, fs.readFileSync(rook, "utf8").replace('"name":"cephclusters.ceph.rook.io"', '"name":"altered.ceph.rook.io"'));
            expect(readCrds("rook", env).map((c) => c.metadata.name)).toContain("altered.ceph.rook.io");
        } finally {
            fs.rmSync(home, { recursive: true, force: true });
        }
    });
});
