// Reading Kubernetes objects out of registered resources: kinds, metadata, pod templates, containers, args.
// Every accessor goes through `at`, so a value unknown during preview surfaces as Undecided, never as absent.
import type { FactCodec, FactsOf, Field } from "../contract/facts";
import { at, isUnknown, known, MissingFact, Undecided, type PolicyResource } from "./framework";

/** `kubernetes:apps/v1:Deployment` → { group: "apps", version: "v1", kind: "Deployment" }; undefined for non-k8s. */
export function k8sKind(type: string): { apiVersion: string; kind: string } | undefined {
    const m = /^kubernetes:([^:]+):([^:]+)$/.exec(type);
    if (!m) return undefined;
    const apiVersion = m[1].startsWith("core/") ? m[1].slice("core/".length) : m[1];
    return { apiVersion, kind: m[2] };
}

export function kindOf(r: PolicyResource): string | undefined {
    return k8sKind(r.type)?.kind;
}

/** Resources of one Kubernetes kind (optionally one API group, e.g. "ceph.rook.io"). */
export function ofKind(resources: PolicyResource[], kind: string, group?: string): PolicyResource[] {
    return resources.filter((r) => {
        const k = k8sKind(r.type);
        return k !== undefined && k.kind === kind && (group === undefined || k.apiVersion.split("/")[0] === group);
    });
}

export const WORKLOAD_KINDS = ["Deployment", "StatefulSet", "DaemonSet"] as const;

export function isWorkload(r: PolicyResource): boolean {
    return (WORKLOAD_KINDS as readonly string[]).includes(kindOf(r) ?? "");
}

export function workloads(resources: PolicyResource[]): PolicyResource[] {
    return resources.filter(isWorkload);
}

export function metaName(r: PolicyResource): string {
    return at(r.props, "metadata.name") ?? r.name;
}

export function namespaceOf(r: PolicyResource): string | undefined {
    return at(r.props, "metadata.namespace");
}

export function labelsOf(r: PolicyResource): Record<string, string> {
    return known(at(r.props, "metadata.labels") ?? {}, `metadata.labels of ${r.name}`);
}

export function annotationsOf(r: PolicyResource): Record<string, string> {
    return known(at(r.props, "metadata.annotations") ?? {}, `metadata.annotations of ${r.name}`);
}

/**
 * The facts a codec reads from a resource's annotations (or the pod template's, when given): Undecided when one is
 * unknown at preview; MissingFact naming each key that is missing or does not read, and what that leaves unknown.
 */
export function factsOf<F extends Record<string, Field>>(codec: FactCodec<F>, r: PolicyResource, unknown: string, annotations: Record<string, unknown> = annotationsOf(r)): FactsOf<F> {
    for (const key of Object.values<string>(codec.keys)) if (isUnknown(annotations[key])) throw new Undecided(`annotation ${key} of ${r.name}`);
    const decoded = codec.decode(annotations);
    if ("problems" in decoded) throw new MissingFact(`${kindOf(r)} ${metaName(r)}: ${decoded.problems.join("; ")}: ${unknown}`);
    return decoded.facts;
}

/** An annotation's value; Undecided when unknown. */
export function annotation(r: PolicyResource, key: string): string | undefined {
    const v = annotationsOf(r)[key];
    if (isUnknown(v)) throw new Undecided(`annotation ${key} of ${r.name}`);
    return v;
}

/** The pod spec of a workload (Deployment, StatefulSet, DaemonSet, Job, CronJob, Pod). */
export function podSpecOf(r: PolicyResource): Record<string, any> | undefined {
    switch (kindOf(r)) {
        case "Pod":
            return at(r.props, "spec");
        case "CronJob":
            return at(r.props, "spec.jobTemplate.spec.template.spec");
        case "Deployment":
        case "StatefulSet":
        case "DaemonSet":
        case "ReplicaSet":
        case "Job":
            return at(r.props, "spec.template.spec");
        default:
            return undefined;
    }
}

/** The pod template's labels. */
export function podLabelsOf(r: PolicyResource): Record<string, string> {
    const path = kindOf(r) === "CronJob" ? "spec.jobTemplate.spec.template.metadata.labels" : "spec.template.metadata.labels";
    return known(at(r.props, path) ?? {}, `pod labels of ${r.name}`);
}

export interface Container {
    name: string;
    image?: string;
    command?: string[];
    args?: string[];
    env?: { name: string; value?: string; valueFrom?: unknown }[];
    resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
    readinessProbe?: unknown;
    livenessProbe?: unknown;
    startupProbe?: unknown;
    ports?: { containerPort: number; name?: string }[];
    volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
    [k: string]: unknown;
}

/** The main containers of a workload (not init containers). */
export function containersOf(r: PolicyResource): Container[] {
    const spec = podSpecOf(r);
    if (spec === undefined) return [];
    return known(spec.containers ?? [], `containers of ${r.name}`) as Container[];
}

/** Replicas of a Deployment/StatefulSet (Kubernetes default 1). DaemonSets: undefined (one per node). */
export function replicasOf(r: PolicyResource): number | undefined {
    if (kindOf(r) === "DaemonSet") return undefined;
    const v = at(r.props, "spec.replicas");
    return v === undefined ? 1 : Number(v);
}

/** The value of an environment variable set literally on a container (undefined when absent or valueFrom). */
export function envValue(c: Container, name: string): string | undefined {
    const e = (c.env ?? []).find((x) => x.name === name);
    if (e === undefined) return undefined;
    if (isUnknown(e.value)) throw new Undecided(`env ${name} of container ${c.name}`);
    return e.value;
}

/** command + args of a container as one list. */
export function argvOf(c: Container): string[] {
    const argv = [...(c.command ?? []), ...(c.args ?? [])];
    for (const a of argv) if (isUnknown(a)) throw new Undecided(`command line of container ${c.name}`);
    return argv;
}

/** The value of a `--flag=value` or `--flag value` argument; `true` for a bare `--flag`; undefined when absent. */
export function flagValue(argv: string[], flag: string): string | true | undefined {
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === flag) {
            const next = argv[i + 1];
            return next !== undefined && !next.startsWith("-") ? next : true;
        }
        if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
    }
    return undefined;
}

/**
 * The content of a file a container reads from a mounted ConfigMap: the mount whose path holds `file`, its
 * volume's ConfigMap (same namespace) and the key (or `items` path) the file comes from. Undefined when the
 * file is not on a ConfigMap volume the stack declares.
 */
export function mountedConfigFile(w: PolicyResource, c: Container, file: string, resources: PolicyResource[]): { configMap: PolicyResource; key: string; text: string } | undefined {
    const spec = podSpecOf(w);
    for (const m of known(c.volumeMounts ?? [], `volumeMounts of ${c.name}`)) {
        const dir = m.mountPath.replace(/\/+$/, "");
        let rel: string;
        if (m.subPath !== undefined) {
            if (file !== dir) continue;
            rel = m.subPath;
        } else if (file.startsWith(`${dir}/`)) rel = file.slice(dir.length + 1);
        else continue;
        const volume = (spec?.volumes ?? []).find((v: any) => v.name === m.name);
        const cmName = volume?.configMap?.name;
        if (cmName === undefined) continue;
        const item = (volume.configMap.items ?? []).find((i: { key: string; path: string }) => i.path === rel);
        const key = item ? item.key : rel;
        const configMap = ofKind(resources, "ConfigMap").find((r) => metaName(r) === cmName && namespaceOf(r) === namespaceOf(w));
        if (!configMap) return undefined;
        const text = known(at(configMap.props, "data")?.[key], `data.${key} of ConfigMap ${cmName}`);
        if (typeof text !== "string") return undefined;
        return { configMap, key, text };
    }
    return undefined;
}

/** Kubernetes memory quantity → MiB (e.g. "4Gi" → 4096, "512Mi" → 512, "1G" → 953.67). */
export function memoryMiB(q: string | number | undefined): number | undefined {
    if (q === undefined) return undefined;
    if (typeof q === "number") return q / 2 ** 20;
    const m = /^(\d+(?:\.\d+)?)([KMGTPE]i?|k|m)?$/.exec(q.trim());
    if (!m) return undefined;
    const n = Number(m[1]);
    const unit: Record<string, number> = {
        "": 1, m: 1e-3, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
        Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
    };
    return (n * unit[m[2] ?? ""]) / 2 ** 20;
}

/** Kubernetes CPU quantity → cores ("500m" → 0.5, "2" → 2). */
export function cpuCores(q: string | number | undefined): number | undefined {
    if (q === undefined) return undefined;
    if (typeof q === "number") return q;
    const m = /^(\d+(?:\.\d+)?)(m)?$/.exec(q.trim());
    if (!m) return undefined;
    return m[2] ? Number(m[1]) / 1000 : Number(m[1]);
}

/** Does a label selector (matchLabels only, plus matchExpressions In/Exists) select these labels? */
export function selects(selector: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined, labels: Record<string, string>): boolean {
    if (selector === undefined) return false;
    for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
    for (const e of selector.matchExpressions ?? []) {
        const v = labels[e.key];
        if (e.operator === "In" && !(v !== undefined && (e.values ?? []).includes(v))) return false;
        if (e.operator === "NotIn" && v !== undefined && (e.values ?? []).includes(v)) return false;
        if (e.operator === "Exists" && v === undefined) return false;
        if (e.operator === "DoesNotExist" && v !== undefined) return false;
    }
    return Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions ?? []).length > 0;
}
