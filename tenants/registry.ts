// The tenant registry: a YAML file listing every tenant with its plan, apps (and their chart values) and
// status. Parsing reports every problem at once, each with its line in the file and its path, e.g.
//   tenants/registries/dev.yaml:14 tenants[3].name: expected a DNS label …, got "Bob"
// The syntax tree of the one parse gives each problem its line.
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { z } from "zod";
import { ConfigError, errorMap, problemsFromIssues, renderPath, renderValue, warn, type ConfigProblem } from "../config/errors";
import { expecting, oneOf } from "../config/fields";
import { DEFAULT_FLUX_NAMESPACE } from "../contract/gitops";
import { secretsInValues } from "../formats/secrets";
import { cachedRead } from "../config/parseCache";
import { readYaml, type YamlFile } from "../config/yaml";

/** Longest tenant name: it names the namespace and the Helm release (Helm allows 53), and prefixes app objects. */
export const TENANT_NAME_MAX = 40;
/** Longest app name, so that `<tenant>-<app>` stays within a 63-character Kubernetes name or label. */
export const APP_NAME_MAX = 63 - TENANT_NAME_MAX - 1;

/** Namespaces a tenant may not take: Kubernetes', Flux's and the platform's own. */
export const RESERVED_NAMES: readonly string[] = [
    "default",
    "kube-system",
    "kube-public",
    "kube-node-lease",
    DEFAULT_FLUX_NAMESPACE,
    "media-app",
    "rook-ceph",
    "cnpg-system",
    "ingress-nginx",
    "cert-manager",
    "monitoring",
];
/** Name prefixes Kubernetes keeps for itself. */
export const RESERVED_PREFIXES: readonly string[] = ["kube-"];

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const label = (max: number, why: string) =>
    expecting(z.string().max(max).regex(DNS_LABEL), `a DNS label of at most ${max} characters (a-z, 0-9 and '-', starting and ending with a letter or digit${why})`);

export const tenantStatus = ["active", "suspended"] as const;
export type TenantStatus = (typeof tenantStatus)[number];

/** A chart value the app reads from a Secret in the Flux namespace: Flux merges the Secret's key at the path. */
const valuesFromSchema = expecting(
    z.strictObject({
        /** The Secret, in the Flux namespace (a HelmRelease reads values from its own namespace only). */
        secret: expecting(z.string().max(253).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/), "a Secret name (a DNS name)"),
        /** The key in the Secret holding the value. */
        key: expecting(z.string().max(253).regex(/^[-._a-zA-Z0-9]+$/), "a Secret key (letters, digits, '-', '_', '.')"),
        /** Where the value goes in the app's chart values, dot-separated, e.g. claimToken or db.password. */
        path: expecting(z.string().max(200).regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/), "a dot-separated path in the app's values such as db.password"),
    }),
    "{secret, key, path}",
);

const appSchema = z.preprocess(
    (v) => (typeof v === "string" ? { name: v } : v),
    expecting(
        z.strictObject({
            name: label(APP_NAME_MAX, `; it joins the tenant's name in object names`),
            /** The app's chart values. */
            values: expecting(z.record(z.string(), z.unknown()), "a map of the app's chart values").default({}),
            /** Chart values read from Secrets (credentials never go in values). */
            valuesFrom: expecting(z.array(valuesFromSchema), "a list of {secret, key, path}").default([]),
        }),
        "an app name or {name, values, valuesFrom}",
    ),
);

const tenantSchema = expecting(
    z.strictObject({
        name: label(TENANT_NAME_MAX, "; it names the tenant's namespace and Helm release"),
        plan: expecting(z.string().regex(DNS_LABEL), "a plan name").optional(),
        status: oneOf(tenantStatus).default("active"),
        apps: expecting(z.array(appSchema), "a list of apps").default([]),
    }),
    "a tenant: {name, plan, status, apps}",
);

const registrySchema = expecting(
    z.strictObject({ tenants: expecting(z.array(tenantSchema), "a list of tenants") }),
    "a mapping with a tenants: list",
);

export interface TenantApp {
    name: string;
    values: Record<string, unknown>;
    /** Chart values read from Secrets in the Flux namespace; absent or empty: none. */
    valuesFrom?: { secret: string; key: string; path: string }[];
}

export interface Tenant {
    name: string;
    /** Plan name (the registry's, or the default plan). */
    plan: string;
    status: TenantStatus;
    apps: TenantApp[];
}

export interface Registry {
    /** The file it was read from (as given). */
    file: string;
    tenants: Tenant[];
}

export interface RegistryOptions {
    /** Plans a tenant may name; unchecked when absent. */
    plans?: readonly string[];
    /** Plan of a tenant that names none. Required when a tenant names none. */
    defaultPlan?: string;
    /** Further names to refuse (e.g. a stack's own Flux namespace). */
    reserved?: readonly string[];
}

interface Located {
    path: (string | number)[];
    message: string;
    /** A name YAML read as a number: the message is completed with the text as written (see locate). */
    numeric?: number;
}

/** Parses registry text; throws a ConfigError listing every problem with its line. */
export function parseRegistry(text: string, file: string, opts: RegistryOptions = {}): Registry {
    const yaml = readYaml(text, file);
    let raw = yaml.value;
    if (raw === undefined || raw === null) raw = { tenants: [] };

    const parsed = registrySchema.safeParse(raw, { error: errorMap, reportInput: true });
    const problems: Located[] = [];
    if (!parsed.success) {
        for (const issue of parsed.error.issues) {
            const [p] = problemsFromIssues([issue]);
            const at = issue.code === "unrecognized_keys" ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
            for (const where of at) problems.push({ path: where.map((s) => (typeof s === "number" ? s : String(s))), message: p.message });
        }
    }
    // Checks across entries run on whatever is well-formed, so they are reported with the shape errors.
    const rawTenants = (raw as { tenants?: unknown })?.tenants;
    const entries = Array.isArray(rawTenants) ? rawTenants : [];
    const numeric = numericNames(entries);
    const shapes = problems.filter((p) => !numeric.some((n) => samePath(n.path, p.path)));
    problems.length = 0;
    problems.push(...shapes, ...numeric, ...entryProblems(entries, opts), ...valueSecrets(entries));
    if (problems.length > 0 || !parsed.success) throw locate(yaml, text, file, problems);

    const tenants: Tenant[] = parsed.data.tenants.map((t) => ({
        name: t.name,
        plan: t.plan ?? opts.defaultPlan ?? "",
        status: t.status,
        apps: t.apps.map((a) => (a.valuesFrom.length > 0 ? a : { name: a.name, values: a.values })),
    }));
    warnIfEmpty({ file, tenants });
    return { file, tenants };
}

function warnIfEmpty(registry: Registry): void {
    if (registry.tenants.length === 0) warn(`${registry.file} lists no tenants: the stack runs its shards empty (tenants: [] is valid; an emptied registry is usually a mistake)`);
}

const samePath = (a: (string | number)[], b: (string | number)[]) => a.length === b.length && a.every((s, i) => String(s) === String(b[i]));

/**
 * Tenant and app names YAML reads as numbers (01, 0x6b, 1e3 under YAML 1.2's core schema): refused with the
 * text as written and "quote it", rather than a confusing "got 1". Quoted, they are valid names.
 */
function numericNames(entries: readonly unknown[]): Located[] {
    const out: Located[] = [];
    entries.forEach((t, i) => {
        const name = field(t, "name");
        if (typeof name === "number") out.push({ path: ["tenants", i, "name"], message: "", numeric: name });
        const apps = field(t, "apps");
        if (Array.isArray(apps)) {
            apps.forEach((a, j) => {
                if (typeof a === "number") out.push({ path: ["tenants", i, "apps", j], message: "", numeric: a });
                else if (typeof field(a, "name") === "number") out.push({ path: ["tenants", i, "apps", j, "name"], message: "", numeric: field(a, "name") as number });
            });
        }
    });
    return out;
}

/** Credentials in tenants' chart values: they belong in a Secret, read through the app's valuesFrom. */
function valueSecrets(entries: readonly unknown[]): Located[] {
    const out: Located[] = [];
    entries.forEach((t, i) => {
        const apps = field(t, "apps");
        if (!Array.isArray(apps)) return;
        apps.forEach((a, j) => {
            for (const s of secretsInValues(field(a, "values"), ["tenants", i, "apps", j, "values"])) {
                out.push({
                    path: s.path,
                    message: `expected no secret in plain text (put it in a Secret in the Flux namespace and read it with the app's valuesFrom: {secret, key, path}), got ${s.what}`,
                });
            }
        });
    });
    return out;
}

const field = (v: unknown, k: string): unknown => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>)[k] : undefined);

/** Unique and unreserved names, known plans, each app once. */
function entryProblems(entries: readonly unknown[], opts: RegistryOptions): Located[] {
    const problems: Located[] = [];
    const firstIndex = new Map<string, number>();
    entries.forEach((t, i) => {
        const at = (...rest: (string | number)[]) => ["tenants", i, ...rest];
        const name = field(t, "name");
        if (typeof name === "string") {
            const seen = firstIndex.get(name);
            if (seen !== undefined) problems.push({ path: at("name"), message: `expected a unique tenant name, got ${renderValue(name)} (also tenants[${seen}])` });
            else firstIndex.set(name, i);
            const reserved = [...RESERVED_NAMES, ...(opts.reserved ?? []).filter((r) => !RESERVED_NAMES.includes(r))];
            if (reserved.includes(name) || RESERVED_PREFIXES.some((p) => name.startsWith(p))) {
                problems.push({ path: at("name"), message: `expected a name that is not reserved for the platform (${[...reserved, ...RESERVED_PREFIXES.map((p) => `${p}*`)].join(", ")}), got ${renderValue(name)}` });
            }
        }
        if (t === null || typeof t !== "object" || Array.isArray(t)) return;
        const plan = field(t, "plan") ?? opts.defaultPlan;
        if (plan === undefined) problems.push({ path: at(), message: "expected a plan (the stack names no default plan), got nothing" });
        else if (typeof plan === "string" && opts.plans && !opts.plans.includes(plan)) {
            problems.push({ path: at(field(t, "plan") === undefined ? "name" : "plan"), message: `expected one of the plans ${opts.plans.join(", ")}, got ${renderValue(plan)}` });
        }
        const apps = field(t, "apps");
        if (!Array.isArray(apps)) return;
        const seenApps = new Map<string, number>();
        apps.forEach((a, j) => {
            const appName = typeof a === "string" ? a : field(a, "name");
            if (typeof appName !== "string") return;
            if (seenApps.has(appName)) problems.push({ path: at("apps", j), message: `expected each app once, got ${renderValue(appName)} again (also apps[${seenApps.get(appName)}])` });
            else seenApps.set(appName, j);
        });
    });
    return problems;
}

/** Reads and parses a registry file. */
export function readRegistry(file: string, opts: RegistryOptions = {}, displayName = file): Registry {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new ConfigError([{ path: displayName, message: `expected a readable tenant registry, got ${(e as NodeJS.ErrnoException).code ?? e}` }], displayName);
    }
    let parsed = false;
    const registry = cachedRead("registry", text, { displayName, opts }, () => ((parsed = true), parseRegistry(text, displayName, opts)));
    if (!parsed) warnIfEmpty(registry);
    return registry;
}

/** Turns problems at data paths into ConfigProblems at `file:line path`, in file order. */
function locate({ doc, lines }: YamlFile, text: string, file: string, problems: Located[]): ConfigError {
    const lineOf = (p: (string | number)[]): number | undefined => {
        // The deepest node that exists on the path (a missing key is reported on its parent).
        for (let n = p.length; n >= 0; n--) {
            const node = n === 0 ? doc.contents : doc.getIn(p.slice(0, n), true);
            const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
            if (range && YAML.isNode(node)) return lines.linePos(range[0]).line;
        }
        return undefined;
    };
    const sourceOf = (p: (string | number)[]): string | undefined => {
        const node = doc.getIn(p, true) as { range?: [number, number, number] } | undefined;
        return node?.range && YAML.isScalar(node) ? text.slice(node.range[0], node.range[1]).trim() : undefined;
    };
    const out: (ConfigProblem & { line: number })[] = problems.map((p) => {
        const line = lineOf(p.path) ?? 0;
        const where = renderPath(p.path);
        const message =
            p.numeric === undefined
                ? p.message
                : `expected a name, got ${sourceOf(p.path) ?? String(p.numeric)}, which YAML reads as the number ${p.numeric}: quote it (name: "${sourceOf(p.path) ?? p.numeric}")`;
        return { line, path: `${path.normalize(file)}:${line || "?"} ${where}`, message };
    });
    out.sort((a, b) => a.line - b.line);
    return new ConfigError(
        out.map(({ path: p, message }) => ({ path: p, message })),
        file,
    );
}
