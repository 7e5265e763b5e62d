// The CustomResourceDefinitions of the operators the platform installs (Flux, Rook, CloudNativePG), installed by
// the stack itself from the repository's unmodified upstream copies (schemas/crds, with their sources), their
// schemas' prose left out (installedCrd). So the custom resources the stack creates never race an operator chart
// that Flux installs later, the offline schema checks and the cluster read the same schemas, and the operator
// charts are told not to manage CRDs (one owner).
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { cachedRead } from "../config/parseCache";

/** The repository's copies of the upstream CRD files. */
export const CRD_DIRECTORY = path.resolve(__dirname, "../schemas/crds");

/** One upstream CRD, as its file holds it. */
export interface CrdManifest {
    apiVersion: "apiextensions.k8s.io/v1";
    kind: "CustomResourceDefinition";
    metadata: { name: string; [k: string]: unknown };
    spec: { group: string; names: { kind: string; plural: string }; [k: string]: unknown };
}

/** Operators whose CRDs the stack installs, by the file-name prefix of their copies in schemas/crds. */
export type CrdSet = "flux" | "rook" | "cnpg";
const PREFIX: Record<CrdSet, string> = { flux: "flux-", rook: "rook-ceph-", cnpg: "cnpg-v" };

const cache = new Map<CrdSet, CrdManifest[]>();

/** The paths of one operator's CRD files in schemas/crds, sorted. */
export function crdFiles(set: CrdSet): string[] {
    return fs
        .readdirSync(CRD_DIRECTORY)
        .filter((f) => f.startsWith(PREFIX[set]) && f.endsWith(".yaml"))
        .sort()
        .map((f) => path.join(CRD_DIRECTORY, f));
}

/**
 * Every CRD of one operator's files, sorted by name. The files' YAML (2.5 MB in all, half a second to parse on
 * 2 cores, in every process that runs the program) is parsed once per content (config/parseCache).
 */
export function readCrds(set: CrdSet, env: NodeJS.ProcessEnv = process.env): CrdManifest[] {
    // One stream of documents, as the files would be read one after the other.
    const text = crdFiles(set).map((f) => fs.readFileSync(f, "utf8")).join("\n---\n");
    const docs = cachedRead("yaml-documents", text, null, () => YAML.parseAllDocuments(text).map((d) => d.toJS() as unknown), env);
    const crds = docs.filter((o): o is CrdManifest => (o as Partial<CrdManifest> | null)?.kind === "CustomResourceDefinition");
    return crds.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

/** Every CRD of one operator, sorted by name (read once per process). */
export function upstreamCrds(set: CrdSet): CrdManifest[] {
    let crds = cache.get(set);
    if (!crds) {
        crds = readCrds(set);
        cache.set(set, crds);
    }
    return crds;
}

/** Schema keywords whose values are data (a default, an example, allowed values): kept exactly as they are. */
const DATA_KEYWORDS = new Set(["default", "example", "enum", "const"]);
/** Schema keywords whose keys are field names, each naming a schema (a field may be called "description" or "default"). */
const NAMED_SCHEMAS = new Set(["properties", "patternProperties", "definitions"]);

/** A schema without its text descriptions, at any depth; field names and data values are left as they are. */
function withoutDescriptions(schema: unknown): unknown {
    if (Array.isArray(schema)) return schema.map(withoutDescriptions);
    if (schema === null || typeof schema !== "object") return schema;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(schema)) {
        if (k === "description" && typeof v === "string") continue;
        if (DATA_KEYWORDS.has(k)) out[k] = v;
        else if (NAMED_SCHEMAS.has(k) && v !== null && typeof v === "object") out[k] = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, withoutDescriptions(s)]));
        else out[k] = withoutDescriptions(v);
    }
    return out;
}

/**
 * The CRD as the stack installs it: the upstream file with the field descriptions of its schemas left out. They
 * are two thirds of the 1.3 MB of schema, and every preview carries the CRDs through the engine, the provider and
 * each stack rule of the pack; validation and defaulting are untouched, `kubectl explain` shows no prose.
 */
export function installedCrd(crd: CrdManifest): CrdManifest {
    const versions = (crd.spec.versions as { schema?: { openAPIV3Schema?: unknown } }[] | undefined)?.map((v) =>
        v.schema?.openAPIV3Schema ? { ...v, schema: { ...v.schema, openAPIV3Schema: withoutDescriptions(v.schema.openAPIV3Schema) } } : v,
    );
    return versions ? { ...crd, spec: { ...crd.spec, versions } } : crd;
}

/**
 * Registers an operator's CRDs as children of `parent`, named `${name}-crd-<plural>.<group>`. Protected:
 * deleting a CRD deletes every object of its kind (the Ceph cluster, the database), so it takes an explicit unprotect.
 */
export function installCrds(name: string, set: CrdSet, parent: pulumi.Resource, provider: k8s.Provider): k8s.apiextensions.v1.CustomResourceDefinition[] {
    return upstreamCrds(set).map(
        (crd) =>
            new k8s.apiextensions.v1.CustomResourceDefinition(`${name}-crd-${crd.metadata.name}`, installedCrd(crd) as unknown as k8s.apiextensions.v1.CustomResourceDefinitionArgs, {
                parent,
                provider,
                protect: true,
            }),
    );
}
