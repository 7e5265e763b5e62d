// The tenant tree: every rendered object validates against the Flux CRDs and Kubernetes' schema; the
// prune-safety annotations are where they must be; a tenant moving between shards is never deleted or
// recreated under Flux's garbage collection; and the committed dev tree is current.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as jsyaml from "js-yaml";
import { PRUNE_ANNOTATION, PRUNE_DISABLED, SHARD_LABEL } from "../../contract/labels";
import { rolloutModelOf } from "../../capacity/rollout";
import { loadStackFile, PROJECT_ROOT, stackFile } from "../../config/load";
import { fluxShardObjects } from "../../components/flux";
import { tenantsRender } from "../../cli/commands/tenants";
import { shardName, type Manifest } from "../../contract/gitops";
import type { ShardLock } from "../../tenants/lock";
import { generateTenants } from "../../tenants/names";
import { loadStackTenants, planTenants } from "../../tenants/plan";
import { renderSettings, syncTree, tenantManifests, tenantsIn, treeFiles, type TreeFile } from "../../tenants/render";
import type { Tenant } from "../../tenants/registry";
import { schemaErrors } from "../schema/validate";

const dev = loadStackFile(stackFile("dev"));
const settings = renderSettings(dev);
const devTenants = loadStackTenants(dev, PROJECT_ROOT);

const keptFromPrune = (m: Manifest) => m.metadata.annotations?.[PRUNE_ANNOTATION] === PRUNE_DISABLED;
const id = (m: Manifest) => `${m.kind}/${m.metadata.namespace ?? ""}/${m.metadata.name}`;

/** Every Kubernetes object in a tree's files (kustomize's own kustomization.yaml is not applied to the cluster). */
function objectsOf(files: Iterable<TreeFile>): Map<string, Manifest[]> {
    const out = new Map<string, Manifest[]>();
    for (const f of files) {
        if (f.path.endsWith("/kustomization.yaml")) continue;
        out.set(f.path, jsyaml.loadAll(f.content, undefined, { schema: jsyaml.CORE_SCHEMA }) as Manifest[]);
    }
    return out;
}

describe("schema: every rendered object validates", () => {
    it("the committed dev tree, against the Flux CRDs and the Kubernetes schema", () => {
        const root = path.join(PROJECT_ROOT, dev.tenants.renderDirectory);
        const files: TreeFile[] = [];
        const walk = (rel: string) => {
            for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
                const p = rel ? `${rel}/${e.name}` : e.name;
                if (e.isDirectory()) walk(p);
                else files.push({ path: p, content: fs.readFileSync(path.join(root, p), "utf8") });
            }
        };
        walk("");
        const objects = [...objectsOf(files).values()].flat();
        expect(new Set(objects.map((o) => o.kind))).toEqual(new Set(["Namespace", "ServiceAccount", "RoleBinding", "NetworkPolicy", "ResourceQuota", "LimitRange", "PersistentVolumeClaim", "HelmRelease", "Kustomization"]));
        expect(objects.flatMap(schemaErrors)).toEqual([]);
    });

    it("generated tenants on every prod plan, apps with values, suspended ones", () => {
        const prod = loadStackFile(stackFile("prod"));
        const tenants = generateTenants({ count: 150, seed: 11, plans: [["starter", 1], ["standard", 1], ["pro", 1]], suspendedShare: 0.2 });
        const plan = planTenants(tenants, { shards: 5, model: rolloutModelOf(prod.flux), windowSeconds: 3600 });
        const objects = [...objectsOf(treeFiles(tenants, plan.assignment, 5, renderSettings(prod))).values()].flat();
        expect(objects.length).toBe(150 * 10);
        expect(objects.flatMap(schemaErrors)).toEqual([]);
    });
});

describe("what each tenant gets", () => {
    const alice = devTenants.registry.tenants.find((t) => t.name === "alice")!;
    const shard = shardName(devTenants.plan.assignment.get("alice")!);
    const { objects, kustomization } = tenantManifests(alice, shard, settings);
    const byKind = (k: string) => objects.filter((o) => o.kind === k);

    it("a namespace, its service account and role binding, network policies, quota and limits by plan, a data volume, a HelmRelease", () => {
        expect(objects.map((o) => `${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`)).toEqual([
            "Namespace /alice",
            "ServiceAccount flux-system/tenant-alice",
            "RoleBinding alice/tenant-alice",
            "NetworkPolicy alice/default-deny",
            "NetworkPolicy alice/allow-ingress",
            "ResourceQuota alice/plan",
            "LimitRange alice/plan",
            "PersistentVolumeClaim alice/data",
            "HelmRelease flux-system/tenant-alice",
        ]);
        // alice is on the plus plan: 4 CPU, 8 GiB, 100 GiB, 40 pods.
        expect((byKind("ResourceQuota")[0].spec as any).hard).toEqual({ "requests.cpu": "4", "requests.memory": "8Gi", "limits.memory": "8Gi", "requests.storage": "100Gi", pods: "40" });
        expect((byKind("LimitRange")[0].spec as any).limits[0].defaultRequest).toEqual({ cpu: "100m", memory: "204Mi" });
        expect((byKind("PersistentVolumeClaim")[0].spec as any).resources.requests.storage).toBe("100Gi");
        expect((byKind("RoleBinding")[0] as any).subjects).toEqual([{ kind: "ServiceAccount", name: "tenant-alice", namespace: "flux-system" }]);
    });

    it("the network policies deny ingress by default and allow the tenant's own pods and the edge proxy's namespace", () => {
        const [deny, allow] = byKind("NetworkPolicy") as any[];
        expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress"] });
        expect(allow.spec.ingress[0].from).toEqual([{ podSelector: {} }, { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "media-app" } } }]);
    });

    it("Kustomization and HelmRelease carry the shard label (the HelmRelease also on its chart) and use that shard's sources", () => {
        const hr = byKind("HelmRelease")[0] as any;
        expect(kustomization.metadata.labels?.[SHARD_LABEL]).toBe(shard);
        expect(hr.metadata.labels[SHARD_LABEL]).toBe(shard);
        expect(hr.spec.chart.metadata.labels[SHARD_LABEL]).toBe(shard);
        expect(hr.spec.chart.spec.sourceRef).toEqual({ kind: "HelmRepository", name: `tenant-apps-${shard}` });
        expect((kustomization.spec as any).sourceRef).toEqual({ kind: "GitRepository", name: `tenants-${shard}` });
    });

    it("the HelmRelease runs as the tenant's service account into the tenant's namespace, with its apps as values", () => {
        const hr = byKind("HelmRelease")[0] as any;
        expect(hr.spec).toMatchObject({ serviceAccountName: "tenant-alice", targetNamespace: "alice", storageNamespace: "alice", releaseName: "alice", interval: "24h", timeout: "30m" });
        expect(Object.keys(hr.spec.values.apps)).toEqual(["plex", "sonarr", "radarr", "bazarr"]);
        expect(hr.spec.values.apps.bazarr).toEqual({ languages: ["en", "fr"] });
    });

    it("prune safety: the namespace, the data volume, the Kustomization and the HelmRelease are prune-disabled; volumes the chart makes are kept too", () => {
        for (const t of devTenants.registry.tenants) {
            const r = tenantManifests(t, "shard-1", settings);
            const kept = [...r.objects, r.kustomization].filter(keptFromPrune).map((o) => o.kind).sort();
            expect(kept).toEqual(["HelmRelease", "Kustomization", "Namespace", "PersistentVolumeClaim"]);
            expect((r.objects.find((o) => o.kind === "HelmRelease")!.spec as any).values.persistence.annotations).toEqual({ [PRUNE_ANNOTATION]: PRUNE_DISABLED, "helm.sh/resource-policy": "keep" });
            expect((r.kustomization.spec as any).deletionPolicy).toBe("Orphan");
        }
    });

    it("a suspended tenant keeps every object; its HelmRelease is suspended, its Kustomization stays active to apply that", () => {
        const freya = devTenants.registry.tenants.find((t) => t.name === "freya-olsen")!;
        expect(freya.status).toBe("suspended");
        const r = tenantManifests(freya, "shard-1", settings);
        expect(r.objects).toHaveLength(9);
        expect((r.objects.find((o) => o.kind === "HelmRelease")!.spec as any).suspend).toBe(true);
        expect((r.kustomization.spec as any).suspend).toBeUndefined();
        expect((tenantManifests(alice, "shard-1", settings).objects.find((o) => o.kind === "HelmRelease")!.spec as any).suspend).toBeUndefined();
    });
});

describe("moving tenants between shards never deletes or recreates anything", () => {
    /**
     * Flux's garbage collection, worst case: every Kustomization whose new build no longer contains an
     * object deletes it (when prune is on), before any other Kustomization re-applies it, unless the live
     * object is annotated prune-disabled; a deleted Kustomization takes its inventory with it unless its
     * deletionPolicy orphans it. Returns the objects that would be deleted going from `before` to `after`.
     */
    function garbageCollected(before: TreeFile[], after: TreeFile[], treeInRepository: string): string[] {
        const inventories = (files: TreeFile[]) => {
            const objects = objectsOf(files);
            const inv = new Map<string, { prune: boolean; orphan: boolean; objects: Map<string, Manifest> }>();
            const byFolder = new Map<string, Manifest[]>();
            for (const [f, ms] of objects) byFolder.set(path.posix.dirname(f), [...(byFolder.get(path.posix.dirname(f)) ?? []), ...ms]);
            const folder = (p: string) => byFolder.get(p) ?? [];
            // Shard roots as FluxShards declares them.
            for (const { manifest: root } of fluxShardObjects({ flux: { ...dev.flux, shards: 8 }, windowSeconds: 3600 }).filter((o) => o.manifest.kind === "Kustomization")) {
                const p = (root.spec as any).path.replace(`./${treeInRepository}/`, "");
                inv.set(id(root), { prune: (root.spec as any).prune, orphan: (root.spec as any).deletionPolicy === "Orphan", objects: new Map(folder(p).map((m) => [id(m), m])) });
            }
            for (const k of [...objects.values()].flat().filter((m) => m.kind === "Kustomization")) {
                const p = (k.spec as any).path.replace(`./${treeInRepository}/`, "");
                inv.set(id(k), { prune: (k.spec as any).prune, orphan: (k.spec as any).deletionPolicy === "Orphan", objects: new Map(folder(p).map((m) => [id(m), m])) });
            }
            return inv;
        };
        const was = inventories(before);
        const now = inventories(after);
        const deleted = new Set<string>();
        const remove = (o: Manifest) => {
            if (keptFromPrune(o) || deleted.has(id(o))) return;
            deleted.add(id(o));
            const owned = was.get(id(o));
            if (owned && !owned.orphan) for (const child of owned.objects.values()) remove(child);
        };
        for (const [owner, inv] of was) {
            if (!inv.prune) continue;
            const next = now.get(owner)?.objects ?? new Map();
            for (const [oid, o] of inv.objects) if (!next.has(oid)) remove(o);
        }
        return [...deleted].sort();
    }

    const tree = (tenants: Tenant[], lock: ShardLock | undefined, shards: number) => {
        const plan = planTenants(tenants, { shards, model: rolloutModelOf(dev.flux), windowSeconds: 3600, lock });
        return { plan, files: [...treeFiles(tenants, plan.assignment, shards, settings)] };
    };
    const identities = (files: TreeFile[]) => [...objectsOf(files).values()].flat().map(id).sort();
    const tenants = devTenants.registry.tenants;
    const lock = devTenants.lock!;

    it("one tenant moved by hand in the lock: same objects, names and namespaces; nothing pruned", () => {
        const from = lock.tenants.get("alice")!;
        const moved: ShardLock = { shards: lock.shards, tenants: new Map(lock.tenants).set("alice", (from + 1) % lock.shards) };
        const a = tree(tenants, lock, lock.shards);
        const b = tree(tenants, moved, lock.shards);
        expect(a.plan.assignment.get("alice")).toBe(from);
        expect(b.plan.assignment.get("alice")).toBe((from + 1) % lock.shards);
        expect([...b.plan.assignment].filter(([t, s]) => a.plan.assignment.get(t) !== s)).toHaveLength(1);
        expect(identities(b.files)).toEqual(identities(a.files));
        // alice's Kustomization left one shard root's inventory: only the annotation keeps it.
        expect(garbageCollected(a.files, b.files, settings.treeInRepository)).toEqual([]);
    });

    it("3 → 4 shards (a quarter of the tenants move): nothing pruned", () => {
        const many = generateTenants({ count: 200, seed: 3, plans: [["basic", 2], ["plus", 1]] });
        const a = tree(many, undefined, 3);
        const b = tree(many, { shards: 3, tenants: a.plan.assignment }, 4);
        expect(b.plan.moves.length).toBeGreaterThan(30);
        expect(b.plan.moves.every((m) => m.to === 3)).toBe(true);
        expect(identities(b.files)).toEqual(identities(a.files));
        expect(garbageCollected(a.files, b.files, settings.treeInRepository)).toEqual([]);
    });

    it("the simulation has teeth: without the annotations a move would delete the tenant's Kustomization and everything it applied", () => {
        const strip = (files: TreeFile[]) => files.map((f) => ({ path: f.path, content: f.content.replace(/ {4}kustomize\.toolkit\.fluxcd\.io\/prune: disabled\n/g, "") }));
        const b0 = tree(tenants, { shards: lock.shards, tenants: new Map(lock.tenants).set("alice", (lock.tenants.get("alice")! + 1) % lock.shards) }, lock.shards);
        const deleted = garbageCollected(strip(tree(tenants, lock, lock.shards).files), b0.files, settings.treeInRepository);
        expect(deleted).toContain("Kustomization/flux-system/tenant-alice");
        // Its deletionPolicy Orphan still spares what it applied: the second line of defence.
        expect(deleted).toEqual(["Kustomization/flux-system/tenant-alice"]);
    });
});

describe("the tree on disk", () => {
    it("the committed dev tree and lock are current (tenants render --check)", async () => {
        const log = jest.spyOn(console, "log").mockImplementation(() => {});
        try {
            expect(await tenantsRender.run(["--stack", "dev", "--check"])).toBe(0);
        } finally {
            log.mockRestore();
        }
    });

    it("--check lists what is stale; rendering repairs it and removes files of tenants that left", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tenant-tree-"));
        const files = () => treeFiles(devTenants.registry.tenants, devTenants.plan.assignment, 3, settings);
        syncTree(dir, files(), "write");
        expect(syncTree(dir, files(), "check")).toMatchObject({ missing: [], changed: [], extra: [] });

        fs.appendFileSync(path.join(dir, "tenants/alice/tenant.yaml"), "# hand edit\n");
        fs.rmSync(path.join(dir, "shards/shard-1/kustomization.yaml"));
        fs.mkdirSync(path.join(dir, "tenants/gone"));
        fs.writeFileSync(path.join(dir, "tenants/gone/tenant.yaml"), "{}\n");
        fs.writeFileSync(path.join(dir, "README.md"), "not the renderer's\n");
        const stale = syncTree(dir, files(), "check");
        expect(stale).toMatchObject({ missing: ["shards/shard-1/kustomization.yaml"], changed: ["tenants/alice/tenant.yaml"], extra: ["tenants/gone/tenant.yaml"] });
        expect(tenantsIn([...stale.changed, ...stale.extra])).toEqual(["alice", "gone"]);

        syncTree(dir, files(), "write");
        expect(syncTree(dir, files(), "check")).toMatchObject({ missing: [], changed: [], extra: [] });
        expect(fs.existsSync(path.join(dir, "tenants/gone"))).toBe(false);
        expect(fs.existsSync(path.join(dir, "README.md"))).toBe(true);
    });
});
