// Checks emitted Kubernetes objects against the real schemas: custom resources against the upstream CRD
// files (Rook, CloudNativePG, Flux), core objects against Kubernetes' own schema (kubernetes-models).
// Stricter than the API server in one way on purpose: an unknown field in a CRD object is an error here,
// where the server would silently prune it, so a misspelt field cannot pass unnoticed.
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import * as YAML from "yaml";

/** The repository's copies of the upstream CRD files (schemas/crds/README.md names their sources). */
export const CRD_DIRECTORY = path.resolve(__dirname, "../../schemas/crds");

export interface K8sObject {
    apiVersion: string;
    kind: string;
    metadata?: Record<string, any>;
    [k: string]: any;
}

/** Turns a CRD's structural schema into JSON Schema that rejects unknown fields. */
function toJsonSchema(s: any): any {
    if (s === null || typeof s !== "object") return s;
    if (Array.isArray(s)) return s.map(toJsonSchema);
    const out: any = {};
    for (const [k, v] of Object.entries(s)) {
        if (k === "properties" || k === "patternProperties") {
            out[k] = Object.fromEntries(Object.entries(v as object).map(([pk, pv]) => [pk, toJsonSchema(pv)]));
        } else if (k.startsWith("x-kubernetes-")) {
            continue;
        } else {
            out[k] = toJsonSchema(v);
        }
    }
    if (out.nullable === true) {
        delete out.nullable;
        if (typeof out.type === "string") out.type = [out.type, "null"];
    } else delete out.nullable;
    if (s["x-kubernetes-int-or-string"]) {
        delete out.type;
        if (!out.anyOf) out.anyOf = [{ type: "integer" }, { type: "string" }];
    }
    const preserve = s["x-kubernetes-preserve-unknown-fields"] === true || s["x-kubernetes-embedded-resource"] === true;
    if (s.type === "object" && s.properties && s.additionalProperties === undefined && !preserve) out.additionalProperties = false;
    return out;
}

/**
 * The API server always accepts apiVersion, kind and metadata at the root, declared or not (some CRDs, e.g.
 * ObjectBucketClaim, declare only spec and status); metadata is checked by metadataErrors instead.
 */
function withRootFields(s: any): any {
    if (s?.type !== "object" || !s.properties) return s;
    return { ...s, properties: { apiVersion: { type: "string" }, kind: { type: "string" }, metadata: { type: "object" }, ...s.properties } };
}

let crdSchemas: Map<string, object> | undefined;
const compiled = new Map<string, ValidateFunction>();
let ajv: Ajv | undefined;

/** The JSON schema of every apiVersion/kind found in the CRD folder, keyed `group/version/Kind`. */
export function loadCrdSchemas(dir = CRD_DIRECTORY): Map<string, object> {
    if (crdSchemas) return crdSchemas;
    const map = new Map<string, object>();
    for (const file of fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))) {
        for (const doc of YAML.parseAllDocuments(fs.readFileSync(path.join(dir, file), "utf8"))) {
            const crd = doc.toJS({ maxAliasCount: -1 });
            if (crd?.kind !== "CustomResourceDefinition") continue;
            for (const v of crd.spec.versions ?? []) {
                const schema = v.schema?.openAPIV3Schema;
                if (!schema) continue;
                map.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, withRootFields(toJsonSchema(schema)));
            }
        }
    }
    crdSchemas = map;
    return map;
}

/** The compiled validator for one CRD kind (compiled on first use: Rook's schemas are large). */
function crdValidator(key: string): ValidateFunction | undefined {
    const schema = loadCrdSchemas().get(key);
    if (!schema) return undefined;
    if (!compiled.has(key)) {
        if (!ajv) {
            ajv = new Ajv({ allErrors: true, strict: false });
            addFormats(ajv);
            for (const f of ["int32", "int64", "double", "float", "byte", "quantity", "duration", "password"]) ajv.addFormat(f, true);
        }
        compiled.set(key, ajv.compile(schema));
    }
    return compiled.get(key);
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Checks the metadata rules the API server enforces for every object. */
function metadataErrors(meta: Record<string, any> | undefined): string[] {
    const errors: string[] = [];
    if (!meta?.name) return ["metadata.name is required"];
    if (meta.name.length > 253 || !DNS_SUBDOMAIN.test(meta.name)) errors.push(`metadata.name ${JSON.stringify(meta.name)} is not a DNS subdomain`);
    for (const [k, v] of Object.entries(meta.labels ?? {})) {
        if (!QUALIFIED_NAME.test(k) || k.split("/").pop()!.length > 63) errors.push(`label key ${JSON.stringify(k)} is invalid`);
        if (typeof v !== "string" || v.length > 63 || !LABEL_VALUE.test(v)) errors.push(`label ${k}=${JSON.stringify(v)} has an invalid value`);
    }
    for (const [k, v] of Object.entries(meta.annotations ?? {})) {
        if (!QUALIFIED_NAME.test(k)) errors.push(`annotation key ${JSON.stringify(k)} is invalid`);
        if (typeof v !== "string") errors.push(`annotation ${k} must be a string`);
    }
    return errors;
}

/** The kubernetes-models class for a core apiVersion/kind, if it has one. */
function coreModel(apiVersion: string, kind: string): (new (o: any) => { validate(): void }) | undefined {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    const modulePath = group === "" ? `kubernetes-models/${version}` : `kubernetes-models/${group}/${version}`;
    try {
        return require(modulePath)[kind];
    } catch {
        return undefined;
    }
}

/**
 * Every schema error of one object, as readable strings; empty when valid. Throws when no schema
 * is known for its apiVersion/kind, so an object can never skip the check.
 */
export function schemaErrors(obj: K8sObject): string[] {
    const where = `${obj.kind}/${obj.metadata?.name ?? "?"}`;
    const errors = metadataErrors(obj.metadata).map((e) => `${where}: ${e}`);
    const [group, version] = obj.apiVersion.includes("/") ? obj.apiVersion.split("/") : ["", obj.apiVersion];
    const crd = crdValidator(`${group}/${version}/${obj.kind}`);
    if (crd) {
        if (!crd(obj)) {
            for (const e of crd.errors ?? []) {
                const extra = e.keyword === "additionalProperties" ? ` (${(e.params as any).additionalProperty})` : "";
                errors.push(`${where}: ${e.instancePath || "/"} ${e.message}${extra}`);
            }
        }
        return errors;
    }
    const Model = coreModel(obj.apiVersion, obj.kind);
    if (!Model) throw new Error(`no schema known for ${obj.apiVersion} ${obj.kind}: add its upstream CRD file to schemas/crds/ (with its source in the README there)`);
    try {
        new Model(obj).validate();
    } catch (e: any) {
        for (const err of e.errors ?? [{ instancePath: "", message: e.message }]) errors.push(`${where}: ${err.instancePath || "/"} ${err.message}`);
    }
    return errors;
}

/** A Pulumi Kubernetes resource's inputs as the manifest the provider would send. */
export function manifestOf(inputs: Record<string, any>): K8sObject {
    const { apiVersion, kind, metadata, ...rest } = unwrapSecrets(inputs);
    return { apiVersion, kind, metadata, ...rest } as K8sObject;
}

/** Pulumi's secret marker in serialized property values: { [SECRET_SIG]: SECRET_VALUE_SIG, value }. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** The values inside Pulumi's secret markers, as the object reaches the cluster. */
function unwrapSecrets(v: any): any {
    if (Array.isArray(v)) return v.map(unwrapSecrets);
    if (v === null || typeof v !== "object") return v;
    if (v[SECRET_SIG] === SECRET_VALUE_SIG) return unwrapSecrets(v.value);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
}
