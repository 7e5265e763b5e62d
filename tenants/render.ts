// The tenant GitOps tree: what Flux reconciles for every tenant, rendered from the registry and the shard
// plan. Tenants are never Pulumi resources; this tree is where they live.
//
//   <tree>/shards/<shard>/tenants.yaml         the Kustomization of every tenant on the shard (applied by
//   <tree>/shards/<shard>/kustomization.yaml   the shard's root Kustomization, which Pulumi declares)
//   <tree>/tenants/<tenant>/tenant.yaml        the tenant's own objects (applied by its Kustomization)
// One folder per tenant is what a per-tenant Kustomization needs; the shard's side is one file, so the tree
// has about one file per tenant (file creation dominates rendering time on slow disks).
//
// Prune safety (outage 5, and moves between shards): the tenant's Namespace, data volume, Kustomization
// and HelmRelease carry `kustomize.toolkit.fluxcd.io/prune: disabled`, so no garbage collection ever
// deletes them; the tenant Kustomization orphans rather than deletes its objects if it is itself deleted
// (`deletionPolicy: Orphan`); and no object name or namespace depends on the shard, so a move re-labels
// objects in place. The README ("Prune safety") walks through a move.
import * as fs from "node:fs";
import * as path from "node:path";
import { planLimits, type Plan, type PlanLimits } from "../capacity/tenantQuota";
import { PLAN_LABEL, PRUNE_ANNOTATION, PRUNE_DISABLED, SHARD_LABEL, TENANT_LABEL } from "../contract/labels";
import type { PlatformConfig } from "../config/schema";
import {
    DATA_VOLUME,
    repositoryPath,
    shardChartRepositoryName,
    shardDirectory,
    shardTreeName,
    TENANT_FILE,
    tenantDirectory,
    tenantFluxName,
    PLATFORM_RECONCILER,
    shardName,
    type Manifest,
} from "../contract/gitops";
import type { Tenant } from "./registry";
import { toYaml, toYamlDocuments } from "./yaml";


/** Everything the renderer needs from a stack's config. */
export interface RenderSettings {
    /** Namespace of Flux and of every tenant's Flux objects. */
    fluxNamespace: string;
    /** Folder of the tree inside the tenants repository ("." for its root). */
    treeInRepository: string;
    chart: { name: string; version: string };
    plans: Record<string, Plan>;
    ingressNamespaces: readonly string[];
    volume: { storageClass?: string; accessMode: "ReadWriteMany" | "ReadWriteOnce" };
    reconcile: { interval: string; timeout: string };
    /** Mark tenant objects prune-disabled (flux.tenantPruneProtection). */
    pruneProtection: boolean;
}

export function renderSettings(config: Pick<PlatformConfig, "flux" | "tenants">): RenderSettings {
    return {
        fluxNamespace: config.flux.namespace,
        treeInRepository: config.flux.tenantsRepository.path,
        chart: { name: config.flux.appChart.name, version: config.flux.appChart.version },
        plans: config.tenants.plans,
        ingressNamespaces: config.tenants.ingressNamespaces,
        volume: config.tenants.volume,
        reconcile: config.tenants.reconcile,
        pruneProtection: config.flux.tenantPruneProtection,
    };
}

/** ClusterRole a tenant's apps get in its namespace: workloads and their config, no RBAC or quota changes. */
export const TENANT_ROLE = "edit";
/** Kustomization timeout for a tenant's handful of objects (apply only; health is the HelmRelease's). */
const TENANT_KUSTOMIZATION_TIMEOUT = "5m";

const keep = { [PRUNE_ANNOTATION]: PRUNE_DISABLED };

// Every tenant of a plan gets the same quantities: work them out once per plan.
const limitsCache = new WeakMap<Plan, PlanLimits>();
function limitsOf(plan: Plan): PlanLimits {
    let l = limitsCache.get(plan);
    if (!l) limitsCache.set(plan, (l = planLimits(plan)));
    return l;
}
const keepOf = (s: Pick<RenderSettings, "pruneProtection">) => (s.pruneProtection ? keep : {});

/** The tenant's objects (its folder) and its Kustomization (its shard's folder). */
export function tenantManifests(t: Tenant, shard: string, s: RenderSettings): { objects: Manifest[]; kustomization: Manifest } {
    const plan = s.plans[t.plan];
    if (!plan) throw new Error(`tenant ${t.name}: unknown plan ${t.plan}`);
    const limits = limitsOf(plan);
    const ns = t.name;
    const fluxName = tenantFluxName(t.name);
    const tenantLabels = { [TENANT_LABEL]: t.name };
    const sharded = { [SHARD_LABEL]: shard, ...tenantLabels };

    const objects: Manifest[] = [
        {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: {
                name: ns,
                labels: { ...tenantLabels, [PLAN_LABEL]: t.plan, "pod-security.kubernetes.io/enforce": "baseline" },
                annotations: keepOf(s),
            },
        },
        // The identity helm-controller impersonates for this tenant's release; it lives beside the
        // HelmRelease (a Flux object's service account is looked up in the object's own namespace).
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: fluxName, namespace: s.fluxNamespace, labels: tenantLabels } },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "RoleBinding",
            metadata: { name: fluxName, namespace: ns, labels: tenantLabels },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: TENANT_ROLE },
            subjects: [{ kind: "ServiceAccount", name: fluxName, namespace: s.fluxNamespace }],
        },
        {
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: { name: "default-deny", namespace: ns, labels: tenantLabels },
            spec: { podSelector: {}, policyTypes: ["Ingress"] },
        },
        {
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: { name: "allow-ingress", namespace: ns, labels: tenantLabels },
            spec: {
                podSelector: {},
                policyTypes: ["Ingress"],
                ingress: [
                    {
                        from: [
                            { podSelector: {} },
                            ...s.ingressNamespaces.map((n) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": n } } })),
                        ],
                    },
                ],
            },
        },
        { apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "plan", namespace: ns, labels: tenantLabels }, spec: { hard: limits.quota } },
        {
            apiVersion: "v1",
            kind: "LimitRange",
            metadata: { name: "plan", namespace: ns, labels: tenantLabels },
            spec: {
                limits: [
                    { type: "Container", ...limits.container },
                    { type: "PersistentVolumeClaim", max: limits.claimMax },
                ],
            },
        },
        {
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            metadata: { name: DATA_VOLUME, namespace: ns, labels: tenantLabels, annotations: keepOf(s) },
            spec: {
                accessModes: [s.volume.accessMode],
                ...(s.volume.storageClass ? { storageClassName: s.volume.storageClass } : {}),
                resources: { requests: { storage: limits.dataVolume } },
            },
        },
        {
            apiVersion: "helm.toolkit.fluxcd.io/v2",
            kind: "HelmRelease",
            metadata: { name: fluxName, namespace: s.fluxNamespace, labels: sharded, annotations: keepOf(s) },
            spec: {
                interval: s.reconcile.interval,
                timeout: s.reconcile.timeout,
                // Suspended: helm-controller leaves the release as it is; nothing is deleted.
                ...(t.status === "suspended" ? { suspend: true } : {}),
                releaseName: t.name,
                targetNamespace: ns,
                storageNamespace: ns,
                serviceAccountName: fluxName,
                chart: {
                    metadata: { labels: { [SHARD_LABEL]: shard } },
                    spec: { chart: s.chart.name, version: s.chart.version, sourceRef: { kind: "HelmRepository", name: shardChartRepositoryName(s.chart.name, shard) } },
                },
                // Credentials the apps read from Secrets in the Flux namespace, each merged at its place in the values.
                ...(t.apps.some((a) => (a.valuesFrom ?? []).length > 0)
                    ? { valuesFrom: t.apps.flatMap((a) => (a.valuesFrom ?? []).map((v) => ({ kind: "Secret", name: v.secret, valuesKey: v.key, targetPath: `apps.${a.name}.${v.path}` }))) }
                    : {}),
                values: {
                    tenant: t.name,
                    plan: t.plan,
                    apps: Object.fromEntries(t.apps.map((a) => [a.name, a.values])),
                    // Volumes the chart creates are kept by Flux and by `helm uninstall` alike.
                    persistence: { existingClaim: DATA_VOLUME, annotations: { ...keepOf(s), "helm.sh/resource-policy": "keep" } },
                },
            },
        },
    ];

    // The tenant's Kustomization stays active when the tenant is suspended, so that it applies the
    // suspended HelmRelease and keeps the namespace's quota and policies in force.
    const kustomization: Manifest = {
        apiVersion: "kustomize.toolkit.fluxcd.io/v1",
        kind: "Kustomization",
        metadata: { name: fluxName, namespace: s.fluxNamespace, labels: sharded, annotations: keepOf(s) },
        spec: {
            interval: s.reconcile.interval,
            timeout: TENANT_KUSTOMIZATION_TIMEOUT,
            path: repositoryPath(s.treeInRepository, tenantDirectory(t.name)),
            sourceRef: { kind: "GitRepository", name: shardTreeName(shard) },
            prune: true,
            deletionPolicy: "Orphan",
            serviceAccountName: PLATFORM_RECONCILER,
        },
    };
    return { objects, kustomization };
}

/** One file of the tree, relative to its root. */
export interface TreeFile {
    path: string;
    content: string;
}

const HEADER = "# Rendered by `platform tenants render` from the tenant registry; edit the registry, not this file.\n";

/** The file of a shard's folder that holds its tenants' Kustomizations. */
export const SHARD_TENANTS_FILE = "tenants.yaml";

/** Every file of the tree, tenant by tenant (a generator, so a large tree never sits in memory at once). */
export function* treeFiles(tenants: readonly Tenant[], assignment: ReadonlyMap<string, number>, shards: number, s: RenderSettings): Generator<TreeFile> {
    const perShard: { name: string; text: string }[][] = Array.from({ length: shards }, () => []);
    for (const t of tenants) {
        const shardIndex = assignment.get(t.name);
        if (shardIndex === undefined || shardIndex >= shards) throw new Error(`tenant ${t.name} has no shard`);
        const { objects, kustomization } = tenantManifests(t, shardName(shardIndex), s);
        perShard[shardIndex].push({ name: t.name, text: toYaml(kustomization) });
        yield { path: `${tenantDirectory(t.name)}/${TENANT_FILE}`, content: HEADER + toYamlDocuments(objects) };
    }
    for (let i = 0; i < shards; i++) {
        const dir = shardDirectory(shardName(i));
        const entries = perShard[i].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        if (entries.length > 0) yield { path: `${dir}/${SHARD_TENANTS_FILE}`, content: HEADER + entries.map((e) => e.text).join("---\n") };
        yield {
            path: `${dir}/kustomization.yaml`,
            content: HEADER + toYaml({ apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources: entries.length > 0 ? [SHARD_TENANTS_FILE] : [] }),
        };
    }
}

/** The folders of the tree the renderer owns; anything else under the root is left alone. */
export const OWNED_FOLDERS = ["shards", "tenants"] as const;

export interface TreeDiff {
    /** Files the tree lacks. */
    missing: string[];
    /** Files whose content differs. */
    changed: string[];
    /** Files the tree has that the registry no longer produces. */
    extra: string[];
    unchanged: number;
}

function listFiles(root: string, rel: string, out: string[]): void {
    let entries: fs.Dirent[];
    try {
        entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
        throw e;
    }
    for (const e of entries) {
        const p = `${rel}/${e.name}`;
        if (e.isDirectory()) listFiles(root, p, out);
        else out.push(p);
    }
}

/**
 * Brings the tree at `root` in line with `files` ("write"), or only compares ("check"). Lists what is
 * there first, so absent files are written without probing; writes only files whose content changed;
 * removes files the registry no longer produces and the folders they leave empty.
 */
export function syncTree(root: string, files: Iterable<TreeFile>, mode: "write" | "check"): TreeDiff {
    const diff: TreeDiff = { missing: [], changed: [], extra: [], unchanged: 0 };
    const present: string[] = [];
    for (const folder of OWNED_FOLDERS) listFiles(root, folder, present);
    const existing = new Set(present);
    const folders = new Set(present.map((p) => path.posix.dirname(p)));
    const expected = new Set<string>();
    for (const f of files) {
        expected.add(f.path);
        const full = path.join(root, f.path);
        if (existing.has(f.path)) {
            if (fs.readFileSync(full, "utf8") === f.content) {
                diff.unchanged++;
                continue;
            }
            diff.changed.push(f.path);
        } else diff.missing.push(f.path);
        if (mode === "write") {
            const dir = path.posix.dirname(f.path);
            if (!folders.has(dir)) {
                fs.mkdirSync(path.join(root, dir), { recursive: true });
                folders.add(dir);
            }
            fs.writeFileSync(full, f.content);
        }
    }
    for (const p of present) {
        if (expected.has(p)) continue;
        diff.extra.push(p);
        if (mode === "write") fs.rmSync(path.join(root, p));
    }
    if (mode === "write" && diff.extra.length > 0) {
        // Remove folders left empty, deepest first.
        const dirs = [...new Set(diff.extra.map((p) => path.dirname(p)))].sort((a, b) => b.length - a.length);
        for (const d of dirs) {
            for (let cur = d; cur !== "." && !OWNED_FOLDERS.includes(cur as (typeof OWNED_FOLDERS)[number]); cur = path.dirname(cur)) {
                const full = path.join(root, cur);
                if (fs.existsSync(full) && fs.readdirSync(full).length === 0) fs.rmdirSync(full);
                else break;
            }
        }
    }
    return diff;
}

/** Tenant names a diff touches (for summaries). */
export function tenantsIn(paths: readonly string[]): string[] {
    const names = new Set<string>();
    for (const p of paths) {
        const t = /^tenants\/([^/]+)\//.exec(p);
        if (t) names.add(t[1]);
    }
    return [...names].sort();
}
