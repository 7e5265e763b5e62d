// Every rule of the pack on real resources. The shipped stacks run once each, as a preview under mocks, through
// the offline check (the real pack process, each stack's policy config) and must pass; then each rule rejects
// the same registered resources once the field it guards is changed the way an outage changed it.
import * as fs from "node:fs";
import * as path from "node:path";
import { memoryBudgets } from "../../capacity/memory";
import { ARCH_LABEL, DEDICATED_TAINT_KEY, MEASURED_CPU_ANNOTATION, RECONCILE_PER_SECOND_ANNOTATION, RECONCILE_RATE_SOURCE_ANNOTATION, SHARD_HELM_RELEASES_ANNOTATION, SINGLE_STORAGE_NODE_ANNOTATION, CPU_ANNOTATION, IMAGE_MULTI_ARCH_ANNOTATION, MEMORY_GIB_ANNOTATION, ROLE_LABEL, PRUNE_ANNOTATION, STORAGE_NODES_ANNOTATION, STORAGE_RECOVERY_MBPS_ANNOTATION, SHARD_TENANTS_ANNOTATION, TENANT_LABEL } from "../../contract/labels";
import { runCheck, type CheckResult } from "../../cli/commands/check";
import { stackFile } from "../../config/load";
import { PolicyPackProcess } from "../../cli/analyzer";
import { configOf, evaluate, UNKNOWN, type Finding, type PolicyResource, type Rule } from "../../policies/framework";
import { POLICY_CONFIG_DIR, policyConfigFileFor, readPolicyConfigFile, reconcilePolicyConfig, rulesAsPolicyInfo } from "../../cli/policyConfig";
import { policyResources } from "../../stacks/resources";
import { RULES } from "../../policies/rules";
import * as data from "../../policies/rules/data";
import * as edge from "../../policies/rules/edge";
import * as flux from "../../policies/rules/flux";
import * as media from "../../policies/rules/media";
import * as safety from "../../policies/rules/safety";
import * as storage from "../../policies/rules/storage";
import * as workloads from "../../policies/rules/workloads";
import { expectGolden } from "./golden";
import { deployment, k8s, named, withProbes } from "./helpers";

type Resources = PolicyResource[];
const SHIPPED = ["dev", "homelab", "prod"] as const;
const stacks: Record<(typeof SHIPPED)[number], Resources> = {} as any;
const checks: Record<string, CheckResult> = {};

beforeAll(async () => {
    const pack = await PolicyPackProcess.start();
    try {
        for (const s of SHIPPED) {
            checks[s] = await runCheck({ stackFile: stackFile(s), pack, keepRun: true });
            // What Analyze receives: the inputs (AnalyzeStack's outputs add only the mocks' computed fields).
            stacks[s] = policyResources(checks[s].run!.resources);
        }
    } finally {
        await pack.close();
    }
});

describe("the shipped stacks pass the policy pack", () => {
    it.each(SHIPPED)("%s: the check prints exactly its golden text and JSON", (s) => expectGolden(s, checks[s]));

    it.each(SHIPPED)("%s through check: no mandatory violation, and a capacity summary of every family", (s) => {
        const r = checks[s];
        expect(r.violations.filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
        expect(r.mandatory).toBe(0);
        expect(r.policyConfigFile).toBe(path.resolve(__dirname, `../../policies/config/${s}.json`));
        expect(r.unknownConfig).toEqual([]);
        const ids = r.summary.budgets.map((b) => b.id);
        for (const prefix of ["storage.network.peak.", "storage.memory.", "flux.rollout.busiest", "flux.rollout.cpu", "data.connections.clients.", "workloads.scheduler.processes", "workloads.queue.", "memory.", "edge.proxy.clients.", "edge.dns.replicas"]) {
            expect(ids.some((id) => id.startsWith(prefix))).toBe(true);
        }
        expect(r.summary.undecided).toEqual([]);
        for (const b of r.summary.budgets) expect(b.used).toBeLessThanOrEqual(b.limit);
    });

    it("keeps every rule the pack declares mandatory (the capacity and safety rules) mandatory in every shipped policy config", () => {
        const files = fs.readdirSync(POLICY_CONFIG_DIR).filter((f) => f.endsWith(".json"));
        expect(files.sort()).toEqual(["dev.json", "homelab.json", "prod.json"]);
        const mandatory = RULES.filter((r) => r.enforcementLevel === "mandatory").map((r) => r.name);
        expect(mandatory).toEqual(expect.arrayContaining(["storage-network-headroom", "flux-rollout-fits-window", "node-memory-budget", "stateful-resources-protected", "no-plain-secrets", "dns-autoscaler"]));
        for (const f of files) {
            const { config } = reconcilePolicyConfig(rulesAsPolicyInfo(), {}, readPolicyConfigFile(path.join(POLICY_CONFIG_DIR, f)));
            expect({ file: f, below: mandatory.filter((n) => config[n].enforcementLevel !== "mandatory") }).toEqual({ file: f, below: [] });
        }
        // Only recommendations are advisory: every capacity and safety family has its rules mandatory.
        for (const r of RULES.filter((x) => ["storage", "data", "safety"].includes(x.family))) expect([r.name, r.enforcementLevel]).toEqual([r.name, "mandatory"]);
    });

    it.each(SHIPPED)("%s in-process: no mandatory rule reports anything under its policy config", (s) => {
        const { config } = reconcilePolicyConfig(rulesAsPolicyInfo(), {}, readPolicyConfigFile(policyConfigFileFor(s)!));
        const findings = RULES.filter((r) => config[r.name].enforcementLevel === "mandatory").flatMap((r) => evaluate(r, stacks[s], config[r.name].properties));
        expect(findings).toEqual([]);
    });
});

/** A copy of the resources with the named one changed (deep copy, the originals stay as registered). */
function edit(resources: Resources, name: string, change: (r: PolicyResource) => void): Resources {
    return resources.map((r) => {
        if (r.name !== name) return r;
        const copy = structuredClone(r);
        change(copy);
        return copy;
    });
}
const without = (resources: Resources, ...names: string[]) => resources.filter((r) => !names.includes(r.name));
const container = (r: PolicyResource, name?: string) => {
    const cs = r.props.spec.template.spec.containers as any[];
    return name ? cs.find((c) => c.name === name) : cs[0];
};
const messages = (fs: Finding[]) => fs.map((f) => f.message);

describe("storage", () => {
    const cluster = (rs: Resources) => named(rs, "storage-cluster");
    const nodesOf = (rs: Resources) => JSON.parse(cluster(rs).props.metadata.annotations[STORAGE_NODES_ANNOTATION]);
    const withNodes = (rs: Resources, change: (n: any) => void) =>
        edit(rs, "storage-cluster", (c) => {
            const nodes = JSON.parse(c.props.metadata.annotations[STORAGE_NODES_ANNOTATION]);
            nodes.forEach(change);
            c.props.metadata.annotations[STORAGE_NODES_ANNOTATION] = JSON.stringify(nodes);
        });

    it("reads the storage nodes and load from the CephCluster the component registers", () => {
        expect(nodesOf(stacks.homelab).map((n: any) => [n.name, n.baselineGbps, n.osds])).toEqual([
            ["ms01-1", 10, 2],
            ["ms01-2", 10, 2],
            ["ms01-3", 10, 2],
        ]);
        const budgets = storage.networkHeadroom.budgets!(stacks.homelab, { headroom: 0.7 });
        // 10 Gbps × headroom 0.7 × the 0.72 of line rate Ceph's traffic reaches.
        const peak = budgets.find((b) => b.id === "storage.network.peak.ms01-1")!;
        expect(peak.unit).toBe("Gbps");
        expect(peak.limit).toBeCloseTo(5.04, 9);
    });

    it("rejects storage nodes below 10 Gbps baseline, and their traffic beyond the headroom", () => {
        const slow = withNodes(stacks.homelab, (n) => (n.baselineGbps = 1));
        expect(evaluate(storage.baselineBandwidth, slow)).toHaveLength(3);
        expect(messages(evaluate(storage.networkHeadroom, slow)).join("\n")).toMatch(/at peak, with a failed node recovering, on ms01-1: 1\.\d+ Gbps modelled, above 0\.50 Gbps/);
        // The floor is a per-stack threshold.
        expect(evaluate(storage.baselineBandwidth, slow, { minBaselineGbps: 1 })).toEqual([]);
    });

    it("counts every active MDS: raising the count alone can break the headroom (outage 1)", () => {
        const t = { headroom: 0.7 };
        const peak = (rs: Resources) => storage.networkHeadroom.budgets!(rs, t).find((b) => b.id === "storage.network.peak.ms01-1")!.used;
        const more = edit(stacks.homelab, "storage-filesystem", (f) => (f.props.spec.metadataServer.activeCount = 16));
        // homelab: 15 MB/s per active MDS → 14 more actives add 210 MB/s each way, × 1.07 on the wire = 1.80 Gbps.
        expect(peak(more) - peak(stacks.homelab)).toBeCloseTo(1.7976, 5);
        const tight = withNodes(more, (n) => (n.baselineGbps = 8));
        expect(evaluate(storage.networkHeadroom, withNodes(stacks.homelab, (n) => (n.baselineGbps = 8)))).toEqual([]);
        expect(evaluate(storage.networkHeadroom, tight).length).toBeGreaterThan(0);
    });

    it("rejects nodes whose memory cannot hold their Ceph daemons, and a recovery slower than accepted", () => {
        expect(messages(evaluate(storage.nodeMemory, withNodes(stacks.homelab, (n) => (n.memoryGiB = 16))))[0]).toMatch(/Ceph daemon memory \(\+20 %\) on ms01-1: 33\.60 GiB needed, the node has 16 GiB/);
        const crawl = edit(stacks.homelab, "storage-cluster", (c) => (c.props.metadata.annotations[STORAGE_RECOVERY_MBPS_ANNOTATION] = "1"));
        expect(messages(evaluate(storage.recoveryTime, crawl))[0]).toMatch(/Time to re-replicate .* h, longer than the accepted 24 h/);
        // The throttles are read from the CephCluster's cephConfig: a 2 s recovery sleep starves every PG.
        const sleepy = edit(stacks.homelab, "storage-cluster", (c) => (c.props.spec.cephConfig.osd.osd_recovery_sleep_ssd = "2"));
        expect(evaluate(storage.recoveryTime, stacks.homelab)).toEqual([]);
        expect(messages(evaluate(storage.recoveryTime, sleepy))[0]).toMatch(/Time to re-replicate ms01-1's data: 3\d\.\d\d h, longer than the accepted 24 h/);
        const garbled = edit(stacks.homelab, "storage-cluster", (c) => (c.props.spec.cephConfig.osd.osd_max_backfills = "lots"));
        expect(messages(evaluate(storage.recoveryTime, garbled))[0]).toMatch(/osd_max_backfills is "lots", not a number; the storage model cannot be checked/);
        expect(evaluate(storage.recoveryTime, crawl, { maxRecoveryHours: 1000 })).toEqual([]);
    });

    it("never passes when the CephCluster lacks the facts the model needs, or they are unknown at preview", () => {
        const bare = edit(stacks.homelab, "storage-cluster", (c) => delete c.props.metadata.annotations[STORAGE_NODES_ANNOTATION]);
        expect(evaluate(storage.networkHeadroom, bare)).toEqual([expect.objectContaining({ level: "mandatory", message: expect.stringMatching(/no capacity\.media-platform\.io\/storage-nodes annotation/) })]);
        const unknown = edit(stacks.homelab, "storage-cluster", (c) => (c.props.spec.mon.count = UNKNOWN));
        expect(evaluate(storage.networkHeadroom, unknown)).toEqual([expect.objectContaining({ message: expect.stringMatching(/cannot decide during preview: spec\.mon\.count/) })]);
    });

    it("rejects a pool with more copies than hosts, or fewer than the stack's minimum", () => {
        const four = edit(stacks.homelab, "storage-block-pool", (p) => (p.props.spec.replicated.size = 4));
        expect(messages(evaluate(storage.replicaSize, four))).toEqual(["CephBlockPool replicapool keeps 4 copies on 3 hosts: Ceph cannot place them, the pool stays degraded."]);
        const two = edit(stacks.homelab, "storage-block-pool", (p) => (p.props.spec.replicated.size = 2));
        expect(messages(evaluate(storage.replicaSize, two))).toEqual(["CephBlockPool replicapool keeps 2 copies, fewer than the minimum 3."]);
        expect(evaluate(storage.replicaSize, two, { minReplicas: 1 })).toEqual([]);
    });

    it("rejects copies allowed on one host (failure domain osd), unless the stack declares its single storage node on purpose", () => {
        const osd = (rs: Resources) => edit(rs, "storage-block-pool", (p) => (p.props.spec.failureDomain = "osd"));
        expect(messages(evaluate(storage.replicaSize, osd(stacks.homelab)))).toEqual([
            "CephBlockPool replicapool keeps 3 copies with failure domain osd: Ceph may put all of them on one of the 3 hosts, and losing it loses every copy (use failure domain host).",
        ]);
        // One node with three disks, said to be on purpose: three copies on three OSDs is all it can do.
        const everyPoolOsd = (rs: Resources) =>
            edit(edit(osd(rs), "storage-filesystem", (f) => [f.props.spec.metadataPool, ...f.props.spec.dataPools].forEach((p: any) => (p.failureDomain = "osd"))), "storage-object-store", (o) =>
                [o.props.spec.metadataPool, o.props.spec.dataPool].forEach((p: any) => (p.failureDomain = "osd")),
            );
        const single = (declared: boolean) =>
            edit(everyPoolOsd(stacks.homelab), "storage-cluster", (c) => {
                c.props.spec.storage.nodes = [{ name: "laptop", devices: [{ name: "vdb" }, { name: "vdc" }, { name: "vdd" }] }];
                if (declared) c.props.metadata.annotations[SINGLE_STORAGE_NODE_ANNOTATION] = "true";
            });
        expect(evaluate(storage.replicaSize, single(true))).toEqual([]);
        expect(messages(evaluate(storage.replicaSize, single(false)))).toHaveLength(5);
        expect(messages(evaluate(storage.replicaSize, single(false)))[0]).toMatch(/keeps 3 copies with failure domain osd: .* one of the 1 host, .*or declare the single storage node on purpose/);
        const claimed = edit(stacks.homelab, "storage-cluster", (c) => (c.props.metadata.annotations[SINGLE_STORAGE_NODE_ANNOTATION] = "true"));
        expect(messages(evaluate(storage.replicaSize, osd(claimed)))).toContain("CephCluster rook-ceph declares a single storage node on purpose but lists 3.");
        // Host or wider with enough hosts, as the shipped stacks run: no finding.
        expect(evaluate(storage.replicaSize, stacks.homelab)).toEqual([]);
    });

    it("rejects an even or too small mon count, and more mons than storage nodes", () => {
        const mons = (n: number) => edit(stacks.homelab, "storage-cluster", (c) => (c.props.spec.mon.count = n));
        expect(messages(evaluate(storage.monQuorum, mons(2))).join("\n")).toMatch(/runs 2 mons: an even count[\s\S]*fewer than 3/);
        expect(messages(evaluate(storage.monQuorum, mons(5)))).toEqual(["CephCluster rook-ceph runs 5 mons on 3 storage nodes, one per node: 2 cannot be placed."]);
        expect(evaluate(storage.monQuorum, mons(3))).toEqual([]);
    });
});

describe("Flux", () => {
    it("predicts each shard's rollout from its root Kustomization and its controllers", () => {
        const budgets = flux.shardRollouts(stacks.prod, 60);
        expect(budgets).toHaveLength(26);
        expect(Math.max(...budgets.map((b) => b.used))).toBeLessThan(60);
        expect(flux.rolloutWindow.budgets!(stacks.prod, { maxWindowMinutes: 60, ...flux.BENCHMARK_CEILINGS })).toEqual([expect.objectContaining({ id: "flux.rollout.busiest", unit: "min" })]);
    });

    it("rejects a shard whose rollout overruns the window, or controllers too slow for it", () => {
        const crowded = edit(stacks.prod, "flux-shard-3-root", (k) => (k.props.metadata.annotations[SHARD_TENANTS_ANNOTATION] = "40000"));
        expect(messages(evaluate(flux.rolloutWindow, crowded))).toEqual([expect.stringMatching(/^rollout of shard shard-3 \(40000 tenants.*predicted \d+h\d\dm\d\ds, window 1h/)]);
        expect(evaluate(flux.rolloutWindow, stacks.prod, { maxWindowMinutes: 10 }).length).toBeGreaterThan(0);
        const slow = edit(stacks.prod, "flux-shard-1-helm-controller", (d) => {
            const c = container(d);
            c.args = c.args.map((a: string) => (a.startsWith("--concurrent=") ? "--concurrent=1" : a));
            c.resources.limits.cpu = "200m";
        });
        expect(messages(evaluate(flux.rolloutWindow, slow))).toEqual([expect.stringMatching(/^rollout of shard shard-1 /)]);
    });

    it("credits each controller at most the pack's rate threshold, whatever its annotations claim; a measured threshold in the policy config counts", () => {
        const crowded = edit(stacks.prod, "flux-shard-3-root", (k) => {
            k.props.metadata.annotations[SHARD_TENANTS_ANNOTATION] = "4000";
            k.props.metadata.annotations[SHARD_HELM_RELEASES_ANNOTATION] = "4000";
        });
        const claiming = crowded.map((r) => {
            if (!/^flux-shard-\d+-(helm|kustomize)-controller$/.test(r.name)) return r;
            const copy = structuredClone(r);
            const a = copy.props.metadata.annotations;
            a[RECONCILE_PER_SECOND_ANNOTATION] = String(Number(a[RECONCILE_PER_SECOND_ANNOTATION]) * 10);
            a[RECONCILE_RATE_SOURCE_ANNOTATION] = "a load test";
            return copy;
        });
        const shard3 = (rs: Resources, c = flux.BENCHMARK_CEILINGS) => flux.shardRollouts(rs, 60, c).find((b) => b.shard === "shard-3")!;
        // prod's shard controllers: 1 s per Kustomization (0.5 CPU), 1.33 s per HelmRelease (0.75 CPU) at flux-benchmark's rates.
        expect(shard3(crowded).seconds).toBeCloseTo(4000 + 4000 * (4 / 3), 6);
        expect(shard3(claiming).seconds).toBeCloseTo(shard3(crowded).seconds, 6);
        expect(shard3(claiming).claimedSeconds).toBeCloseTo(shard3(crowded).seconds / 10, 6);
        expect(messages(evaluate(flux.rolloutWindow, claiming))).toEqual([
            expect.stringMatching(/^rollout of shard shard-3 .*: predicted 2h35m34s \(the stack's reconcile rates \(source: a load test\) would say 15m34s; the pack credits at most 4 Kustomizations\/s and 2 HelmReleases\/s per controller .*\), window 1h\.$/),
        ]);
        // Safe: the policy config owns the threshold; raised to a measured 40 and 20, the claim is credited.
        expect(evaluate(flux.rolloutWindow, claiming, { maxKustomizationsPerSecond: 40, maxHelmReleasesPerSecond: 20 })).toEqual([]);
        // A rate measured on less CPU (credited more per core) is capped the same way.
        const perCore = crowded.map((r) => (/^flux-shard-\d+-helm-controller$/.test(r.name) ? { ...r, props: { ...r.props, metadata: { ...r.props.metadata, annotations: { ...r.props.metadata.annotations, [MEASURED_CPU_ANNOTATION]: "0.1" } } } } : r));
        expect(shard3(perCore).seconds).toBeCloseTo(shard3(crowded).seconds, 6);
    });

    it("budgets the shard controllers' CPU limits with the other pods on their nodes, from the registered resources", () => {
        // prod: 26 × 1.5 cores on the general pool (6 × m6in.2xlarge); the role-less DNS autoscaler and Flux's main controllers share it.
        expect(flux.rolloutCpu.budgets!(stacks.prod, {})).toEqual([{ id: "flux.rollout.cpu", title: expect.stringMatching(/on general nodes \(6\)$/), used: 39.27, limit: 47.46, unit: "cores", urn: expect.any(String) }]);
        // dev: three small shards beside the app tiers on one 8-core VM.
        expect(flux.rolloutCpuOf(stacks.dev)).toMatchObject({ controllersCores: 1.8, othersCores: 3.02, limit: 7.91, onto: "general nodes" });
        // homelab has no general pool: every undedicated node, with every pod that may land there (web and workers).
        expect(flux.rolloutCpuOf(stacks.homelab)).toMatchObject({ controllersCores: 5, othersCores: 10.27, nodes: 4, onto: "non-dedicated nodes" });
    });

    it("rejects shard controllers whose CPU limits their nodes do not have: the general pool shrunk, a limit raised, a tier added there", () => {
        const shrunk = edit(stacks.prod, "pool-general-group", (g) => (g.props.scalingConfig.desiredSize = 3));
        expect(messages(evaluate(flux.rolloutCpu, shrunk))).toEqual([
            expect.stringMatching(/on general nodes \(3\): 39 cores of controller limits \+ 0\.27 cores requested by other pods = 39\.27 cores, 23\.73 cores allocatable; the predicted rollouts assume CPU these nodes do not have\.$/),
        ]);
        // The window rule alone still passes: its prediction is only honest with this one.
        expect(evaluate(flux.rolloutWindow, shrunk)).toEqual([]);
        const greedy = edit(stacks.dev, "flux-shard-1-helm-controller", (d) => (container(d).resources.limits.cpu = "4"));
        expect(messages(evaluate(flux.rolloutCpu, greedy))).toEqual([expect.stringMatching(/= 8\.57 cores, 7\.91 cores allocatable/)]);
        const crowded = edit(stacks.dev, "app-web", (d) => (d.props.spec.replicas = 8));
        expect(evaluate(flux.rolloutCpu, crowded)).toHaveLength(1);
        // Pods pinned to a dedicated pool never count, however much they ask.
        expect(evaluate(flux.rolloutCpu, edit(stacks.homelab, "redis-cache", (d) => (container(d).resources.requests.cpu = "64")))).toEqual([]);
    });

    it("reads hand-built objects: a shard controller and a web tier on one 4-core general node, then one controller too many", () => {
        const node = k8s({ apiVersion: "v1", kind: "NodePatch", metadata: { name: "node-1", labels: { [ROLE_LABEL]: "general", [ARCH_LABEL]: "amd64" }, annotations: { [MEMORY_GIB_ANNOTATION]: "16", [CPU_ANNOTATION]: "4" } } });
        const controller = (shard: string, limits: Record<string, string>) =>
            deployment(
                `helm-controller-${shard}`,
                { containers: [{ name: "manager", image: "ghcr.io/fluxcd/helm-controller:v1.6.3", args: [`--watch-label-selector=sharding.fluxcd.io/key=${shard}`], resources: { requests: { cpu: "100m", memory: "64Mi" }, limits } }], pod: { nodeSelector: { [ROLE_LABEL]: "general" } } },
                "flux-system",
            );
        const web = deployment("web", { replicas: 2, containers: [{ name: "web", image: "ghcr.io/mastodon/mastodon:v4.3.2", resources: { requests: { cpu: "500m", memory: "1Gi" } } }] });
        expect(evaluate(flux.rolloutCpu, [node, controller("shard-1", { cpu: "2" }), web])).toEqual([]);
        expect(messages(evaluate(flux.rolloutCpu, [node, controller("shard-1", { cpu: "2" }), controller("shard-2", { cpu: "2000m" }), web]))).toEqual([
            expect.stringMatching(/on general nodes \(1\): 4 cores of controller limits \+ 1 cores requested by other pods = 5 cores, 3\.92 cores allocatable/),
        ]);
        // A controller without a CPU limit leaves the rollout's CPU unknown: never a pass.
        expect(messages(evaluate(flux.rolloutCpu, [node, controller("shard-1", { memory: "1Gi" })]))).toEqual([expect.stringMatching(/helm-controller-shard-1 \(container manager\) has no CPU limit/)]);
    });

    it("rejects a shard without its own controller, and a source of another shard", () => {
        const unwatched = without(stacks.dev, "flux-shard-2-kustomize-controller");
        expect(messages(evaluate(flux.shardSources, unwatched))).toEqual([expect.stringMatching(/tenants-shard-2 is in shard shard-2, but no kustomize-controller watches sharding\.fluxcd\.io\/key=shard-2/)]);
        const crossed = edit(stacks.dev, "flux-shard-1-root", (k) => (k.props.spec.sourceRef.name = "tenants-shard-2"));
        expect(messages(evaluate(flux.shardSources, crossed))).toEqual([expect.stringMatching(/\(shard shard-1\) reads GitRepository flux-system\/tenants-shard-2 of shard shard-2/)]);
        const release = k8s({
            apiVersion: "helm.toolkit.fluxcd.io/v2",
            kind: "HelmRelease",
            metadata: { name: "tenant-alice", namespace: "flux-system", labels: { "sharding.fluxcd.io/key": "shard-1" } },
            spec: { chart: { spec: { chart: "tenant-apps", sourceRef: { kind: "HelmRepository", name: "tenant-apps-shard-1" } } } },
        });
        expect(messages(evaluate(flux.shardSources, [...stacks.dev, release])).join("\n")).toMatch(/does not label its HelmChart/);
    });

    it("rejects a controller without the lockdown flags, shard or main", () => {
        expect(evaluate(flux.lockdown, stacks.prod)).toEqual([]);
        const open = edit(stacks.dev, "flux-shard-1-kustomize-controller", (d) => (container(d).args = container(d).args.filter((a: string) => !a.startsWith("--no-remote-bases"))));
        expect(messages(evaluate(flux.lockdown, open))).toEqual([expect.stringMatching(/kustomize-controller-shard-1 \(kustomize-controller, container manager\) runs without --no-remote-bases; expected --no-remote-bases=true/)]);
        const main = edit(stacks.dev, "flux-install-helm-controller", (d) => (container(d).args = container(d).args.map((a: string) => a.replace("--no-cross-namespace-refs=true", "--no-cross-namespace-refs=false"))));
        expect(messages(evaluate(flux.lockdown, main))).toEqual([expect.stringMatching(/helm-controller .* runs with --no-cross-namespace-refs=false/)]);
    });

    it("rejects a pruning Kustomization that does not protect tenant data, and unmarked tenant namespaces", () => {
        expect(evaluate(flux.tenantPrune, stacks.dev)).toEqual([]);
        const unmarked = edit(stacks.dev, "flux-shard-1-root", (k) => delete k.props.spec.commonMetadata);
        expect(messages(evaluate(flux.tenantPrune, unmarked))).toEqual([expect.stringMatching(/tenants-shard-1 .* does not mark what it applies kustomize\.toolkit\.fluxcd\.io\/prune: disabled/)]);
        const mirror = edit(stacks.dev, "flux-shard-1-root", (k) => (k.props.spec.deletionPolicy = "Delete"));
        expect(messages(evaluate(flux.tenantPrune, mirror))).toEqual([expect.stringMatching(/deletionPolicy Delete: deleting or replacing it deletes everything it applied/)]);
        const patched = edit(unmarked, "flux-shard-1-root", (k) => {
            const patch = (kind: string) => ({ target: { kind }, patch: `apiVersion: v1\nkind: ${kind}\nmetadata:\n  name: any\n  annotations:\n    ${PRUNE_ANNOTATION}: disabled\n` });
            k.props.spec.patches = ["Namespace", "PersistentVolumeClaim", "Kustomization"].map(patch);
        });
        expect(evaluate(flux.tenantPrune, patched)).toEqual([]);
        const ns = k8s({ apiVersion: "v1", kind: "Namespace", metadata: { name: "alice", labels: { [TENANT_LABEL]: "alice" } } });
        expect(messages(evaluate(flux.tenantPrune, [ns]))).toEqual(["Namespace alice of tenant alice lacks kustomize.toolkit.fluxcd.io/prune: disabled."]);
    });
});

describe("data", () => {
    it("sums every connection the app tiers open against the pooler and Postgres", () => {
        const budgets = data.connectionBudget.budgets!(stacks.homelab, {});
        expect(budgets.map((b) => [b.id, b.used, b.limit])).toEqual([
            // web 2 × 2 × 5 + streaming 1 × 10 + workers 25 + 2 × 10 + scheduler 5 against max_client_conn 200 × 1 pod
            ["data.connections.clients.postgres-pooler-rw", 80, 200],
            ["data.connections.server.postgres-pooler-rw", 40, 97],
        ]);
    });

    it("rejects 25 → 160 worker threads against the unchanged pooler (outage 3)", () => {
        const busy = edit(stacks.homelab, "app-worker-default", (d) => (container(d).args = container(d).args.map((a: string) => (a === "25" ? "160" : a))));
        expect(messages(evaluate(data.connectionBudget, busy))).toEqual([expect.stringMatching(/^database clients \(web 20 \+ streaming 10 \+ workers 185\) .*: 215 connections against 200\.$/)]);
        const bigPool = edit(stacks.homelab, "postgres-pooler", (p) => (p.props.spec.pgbouncer.parameters.default_pool_size = "120"));
        expect(messages(evaluate(data.connectionBudget, bigPool))).toEqual([expect.stringMatching(/^PgBouncer server connections .*: 120 connections against 97\.$/)]);
    });

    it("flags clients that bypass the pooler", () => {
        const direct = edit(stacks.homelab, "app-web", (d) => (container(d).env.find((e: any) => e.name === "DB_HOST").value = "postgres-rw.media-app.svc.cluster.local"));
        expect(messages(evaluate(data.connectionBudget, direct))).toEqual(["Deployment media-app/web container web connects to Postgres directly (DB_HOST postgres-rw), outside the pooler's budget."]);
    });

    it("rejects prepared statements behind transaction pooling", () => {
        expect(evaluate(data.preparedStatements, stacks.homelab)).toEqual([]);
        const on = edit(stacks.homelab, "app-streaming", (d) => (container(d).env.find((e: any) => e.name === "PREPARED_STATEMENTS").value = "true"));
        expect(messages(evaluate(data.preparedStatements, on))).toEqual([expect.stringMatching(/reaches postgres-pooler-rw \(pool mode transaction\) with PREPARED_STATEMENTS =true/)]);
        // The version condition the rule depends on is stated where an operator reads it.
        expect(messages(evaluate(data.preparedStatements, on))[0]).toMatch(/PgBouncer ≥ 1\.21\.0 with max_prepared_statements > 0/);
        expect(data.preparedStatements.remediationSteps).toMatch(/PgBouncer ≥ 1\.21\.0 with max_prepared_statements > 0.*ghcr\.io\/cloudnative-pg\/pgbouncer:1\.25\.1/);
    });

    it("rejects Redis without a memory limit, with the wrong eviction policy, or beside the workers", () => {
        expect(evaluate(data.redisTiers, stacks.homelab)).toEqual([]);
        const noLimit = edit(stacks.homelab, "redis-cache", (d) => delete container(d).resources.limits);
        expect(messages(evaluate(data.redisTiers, noLimit))).toEqual([expect.stringMatching(/redis-cache: no memory limit/)]);
        const evicting = edit(stacks.homelab, "redis-queue-config", (c) => (c.props.data["redis.conf"] = c.props.data["redis.conf"].replace("maxmemory-policy noeviction", "maxmemory-policy allkeys-lru")));
        expect(messages(evaluate(data.redisTiers, evicting))).toEqual([expect.stringMatching(/queue tier with maxmemory-policy allkeys-lru: queued jobs would be evicted/)]);
        // The 25 % reserve once assumed: below the limit, but the measured peak (1.7 × maxmemory) is above it.
        const reserve25 = edit(stacks.homelab, "redis-cache-config", (c) => (c.props.data["redis.conf"] = c.props.data["redis.conf"].replace(/^maxmemory \d+$/m, "maxmemory 805306368")));
        expect(messages(evaluate(data.redisTiers, reserve25))).toEqual([expect.stringMatching(/redis-cache: maxmemory 805306368 peaks at 1306 MiB resident \(1\.7 × maxmemory, measured\), above the memory limit \(1024 MiB\)/)]);
        const together = edit(stacks.homelab, "redis-cache", (d) => delete d.props.spec.template.spec.affinity.podAntiAffinity);
        const near = messages(evaluate(data.redisTiers, together));
        expect(near).toEqual([expect.stringMatching(/redis-cache: may share a node with .*: no required pod anti-affinity/)]);
        for (const w of ["worker-default", "worker-pull-pi", "scheduler"]) expect(near[0]).toContain(w);
    });
});

describe("Postgres backups", () => {
    const cluster = (rs: Resources) => named(rs, "postgres-cluster");
    it("passes the shipped stacks: off-site on homelab and prod, in the cluster on dev only under dev's policy config", () => {
        expect(evaluate(data.postgresBackups, stacks.homelab)).toEqual([]);
        expect(evaluate(data.postgresBackups, stacks.prod)).toEqual([]);
        expect(evaluate(data.postgresBackups, stacks.dev, { allowInClusterTarget: true })).toEqual([]);
        expect(messages(evaluate(data.postgresBackups, stacks.dev))).toEqual([
            "Cluster media-app/postgres backs up to s3://media.dev.localhost/postgres at http://rook-ceph-rgw-media.rook-ceph.svc:80, inside the cluster (the object store beside its own volumes): losing the cluster loses the database and its backups together.",
        ]);
    });

    it("rejects a database without backups, without a ScheduledBackup, or without retention", () => {
        const none = edit(without(stacks.homelab, "postgres-scheduled-backup"), "postgres-cluster", (c) => delete c.props.spec.backup);
        expect(evaluate(data.postgresBackups, none)).toEqual([{ rule: "postgres-backups", level: "mandatory", urn: cluster(stacks.homelab).urn, message: expect.stringMatching(/has no backup to object storage \(spec\.backup\.barmanObjectStore\): a lost volume, node or cluster loses the database\.$/) }]);
        expect(messages(evaluate(data.postgresBackups, without(stacks.homelab, "postgres-scheduled-backup")))).toEqual([expect.stringMatching(/has no active ScheduledBackup: WAL is archived but no base backup is taken/)]);
        const suspended = edit(stacks.homelab, "postgres-scheduled-backup", (s) => (s.props.spec.suspend = true));
        expect(evaluate(data.postgresBackups, suspended)).toHaveLength(1);
        const forever = edit(stacks.homelab, "postgres-cluster", (c) => delete c.props.spec.backup.retentionPolicy);
        expect(messages(evaluate(data.postgresBackups, forever))).toEqual([expect.stringMatching(/without a retention policy/)]);
        // Any in-cluster Service name counts as the cluster's own failure domain; an external host does not.
        expect([data.inClusterEndpoint("http://minio.backup.svc.cluster.local:9000"), data.inClusterEndpoint("http://minio:9000"), data.inClusterEndpoint("https://nas.home.arpa:9000")]).toEqual([true, true, false]);
        // A plugin archiver is said, not passed: its target is not read.
        const plugin = edit(stacks.homelab, "postgres-cluster", (c) => {
            delete c.props.spec.backup;
            c.props.spec.plugins = [{ name: "barman-cloud.cloudnative-pg.io", isWALArchiver: true, parameters: { barmanObjectName: "offsite" } }];
        });
        expect(messages(evaluate(data.postgresBackups, plugin))).toEqual([expect.stringMatching(/archives through the plugin barman-cloud\.cloudnative-pg\.io, whose target this rule cannot read/)]);
    });
});

describe("workloads", () => {
    it("rejects a container without probes", () => {
        const blind = edit(stacks.prod, "app-web", (d) => delete container(d).livenessProbe);
        expect(messages(evaluate(workloads.probes, blind))).toEqual([expect.stringMatching(/Deployment media-app\/web container web has no livenessProbe/)]);
    });

    it("rejects a multi-replica workload without a PodDisruptionBudget, or with one that blocks every drain", () => {
        expect(messages(evaluate(workloads.pdbs, without(stacks.prod, "app-web-pdb")))).toEqual([expect.stringMatching(/Deployment media-app\/web runs 6 replicas but no PodDisruptionBudget/)]);
        const blocking = edit(stacks.prod, "app-web-pdb", (p) => (p.props.spec = { minAvailable: "100%", selector: p.props.spec.selector }));
        expect(messages(evaluate(workloads.pdbs, blocking))).toEqual([expect.stringMatching(/never lets a pod of Deployment media-app\/web \(6 replicas\) go/)]);
    });

    it("rejects a second scheduler process, and none at all", () => {
        const two = edit(stacks.prod, "app-scheduler", (d) => (d.props.spec.replicas = 2));
        expect(messages(evaluate(workloads.singleScheduler, two))).toEqual([expect.stringMatching(/^2 processes run the scheduler queue/)]);
        expect(messages(evaluate(workloads.singleScheduler, without(stacks.prod, "app-scheduler")))).toEqual(["no process runs the scheduler queue: periodic jobs never run."]);
    });

    it("advises when a queue's peak load needs more threads than serve it", () => {
        expect(evaluate(workloads.queueThreads, stacks.homelab)).toEqual([]);
        const starved = edit(stacks.homelab, "app-worker-default", (d) => (container(d).args = container(d).args.map((a: string) => (a === "25" ? "5" : a))));
        const found = evaluate(workloads.queueThreads, starved);
        expect(found.map((f) => f.level)).toContain("advisory");
        expect(messages(found)).toContainEqual(expect.stringMatching(/^threads the default queue needs at 70 % busy \(λW = 4\) .*: 5\.71 needed, 1\.68 serving\.$/));
    });

    it("rejects pods whose memory requests do not fit their nodes (outage 3: Redis and workers ran out of RAM)", () => {
        const budgets = workloads.nodeMemory.budgets!(stacks.homelab, {});
        expect(budgets.find((b) => b.id === "memory.data.amd64+arm64")).toMatchObject({ used: 18, unit: "GiB" });
        const small = edit(stacks.homelab, "pool-data-nuc-data-1", (n) => (n.props.metadata.annotations[MEMORY_GIB_ANNOTATION] = "16"));
        expect(messages(evaluate(workloads.nodeMemory, small))).toEqual([
            expect.stringMatching(/^memory requested by redis-cache, redis-queue, postgres against allocatable memory of data nodes .*: 18 GiB requested, 1\d\.\d+ GiB allocatable\.$/),
            "memory of every pod that may land on node nuc-data-1 (redis-cache, redis-queue, postgres ×2) against its allocatable memory: 18 GiB requested, 13.3 GiB allocatable.",
        ]);
        const blind = edit(stacks.homelab, "pool-data-nuc-data-1", (n) => delete n.props.metadata.annotations[MEMORY_GIB_ANNOTATION]);
        expect(messages(evaluate(workloads.nodeMemory, blind))).toEqual([expect.stringMatching(/NodePatch nuc-data-1: no capacity\.media-platform\.io\/memory-gib annotation: the node.s memory and cores are unknown/)]);
    });

    it("budgets each node with every pod that may land on it, pinned to its role or free to go to any undedicated node", () => {
        // homelab has no general pool: Flux's controllers may land on any undedicated node, a Pi included.
        const guaranteed = stacks.homelab.map((r) => {
            if (!/^flux-shard-\d+-(source|kustomize|helm)-controller$/.test(r.name)) return r;
            const copy = structuredClone(r);
            for (const c of copy.props.spec.template.spec.containers) c.resources.requests.memory = c.resources.limits.memory;
            return copy;
        });
        const node = (rs: Resources, name: string) => workloads.memoryBudgetsOf(rs).find((b) => b.id === `memory.node.${name}`)!;
        expect(node(stacks.homelab, "pi4-1")).toMatchObject({ used: 2.88, limit: 6.1, urn: named(stacks.homelab, "pool-workers-pi-pi4-1").urn });
        expect(node(stacks.homelab, "pi4-1").title).toMatch(/worker-pull-pi, scheduler, .*helm-controller-shard-1/);
        const found = evaluate(workloads.nodeMemory, guaranteed);
        expect(messages(found)).toEqual([expect.stringMatching(/node pi4-1 .*: 7 GiB requested, 6\.1 GiB allocatable\.$/), expect.stringMatching(/node pi4-2 .*: 7 GiB requested, 6\.1 GiB allocatable\.$/)]);
        // Every budget per role still passes: the gap this budget closes.
        expect(memoryBudgets(workloads.podGroupsOf(guaranteed), workloads.nodeGroupsOf(guaranteed)).filter((b) => b.used > b.limit)).toEqual([]);
        // Safe: the Pis dedicated to their role (tainted); the role-less controllers can no longer go there.
        const dedicated = guaranteed.map((r) => (/^pool-workers-pi-pi4-\d$/.test(r.name) ? { ...r, props: { ...r.props, spec: { ...r.props.spec, taints: [{ key: DEDICATED_TAINT_KEY, value: "workers", effect: "NoSchedule" }] } } } : r));
        expect(evaluate(workloads.nodeMemory, dedicated)).toEqual([]);
        expect(node(dedicated, "pi4-1").title).not.toMatch(/controller/);
    });

    it("rejects workers at or above the serving tiers' priority", () => {
        const web = named(stacks.prod, "app-web").props.spec.template.spec.priorityClassName;
        const equal = edit(stacks.prod, "app-worker-default", (d) => (d.props.spec.template.spec.priorityClassName = web));
        expect(messages(evaluate(workloads.workerPriority, equal))).toEqual([expect.stringMatching(/worker-default runs at priority \d+ \(.*\), not below the serving tiers' lowest/)]);
    });

    it("rejects an arm64-eligible workload without a multi-arch image, and passes one pinned to amd64", () => {
        const plain = edit(stacks.prod, "app-worker-federation", (d) => delete d.props.spec.template.metadata.annotations[IMAGE_MULTI_ARCH_ANNOTATION]);
        const before = new Set(messages(evaluate(workloads.multiArch, stacks.prod)));
        expect(messages(evaluate(workloads.multiArch, plain)).filter((m) => !before.has(m))).toEqual([
            expect.stringMatching(/worker-federation may run on arm64 nodes \(affinity allows amd64, arm64\) but its image ghcr\.io\/mastodon\/mastodon:v4\.3\.2 is not declared multi-arch/),
        ]);
        const pinned = deployment("legacy", { containers: [withProbes({ name: "legacy", image: "example.org/amd64-only:1" })], pod: { nodeSelector: { "kubernetes.io/arch": "amd64" } } });
        const loose = deployment("legacy", { containers: [withProbes({ name: "legacy", image: "example.org/amd64-only:1" })] });
        expect(evaluate(workloads.multiArch, [pinned])).toEqual([]);
        expect(messages(evaluate(workloads.multiArch, [loose]))).toEqual([expect.stringMatching(/no arch affinity/)]);
    });
});

describe("edge", () => {
    const confEdit = (rs: Resources, f: (conf: string) => string) => edit(rs, "proxy-config", (c) => (c.props.data["nginx.conf"] = f(c.props.data["nginx.conf"])));

    it("reads nginx's sizing from the nginx.conf its Deployment mounts", () => {
        const [clients, files] = edge.proxyBudgetsOf(stacks.homelab, 1.25);
        expect(clients).toMatchObject({ used: 1875, unit: "clients" });
        expect(clients.limit).toBeGreaterThanOrEqual(1875);
        expect(files.used).toBeLessThanOrEqual(files.limit);
    });

    it("rejects nginx at its default 512 worker_connections for the expected peak (outage 4)", () => {
        const stock = confEdit(stacks.homelab, (c) => c.replace(/worker_connections\s+\d+;/, "worker_connections 512;"));
        expect(messages(evaluate(edge.nginxClients, stock))).toEqual([expect.stringMatching(/needs 1875 clients, holds 1024\.$/)]);
        expect(messages(evaluate(edge.nginxClients, stacks.homelab, { headroom: 2 }))).toEqual([expect.stringMatching(/needs 3000 clients/)]);
    });

    it("rejects an open-file limit below 2 × worker_connections", () => {
        const unset = confEdit(stacks.homelab, (c) => c.replace(/worker_rlimit_nofile\s+\d+;/, ""));
        expect(messages(evaluate(edge.nginxOpenFiles, unset))).toEqual([expect.stringMatching(/worker_rlimit_nofile allows only the inherited limit/)]);
    });

    it("never passes an nginx whose config or peak it cannot read", () => {
        const lost = without(stacks.homelab, "proxy-config");
        expect(messages(evaluate(edge.nginxClients, lost))).toEqual([expect.stringMatching(/which no ConfigMap in the stack provides/)]);
    });

    it("rejects a stack without DNS autoscaling, or without preventSinglePointFailure", () => {
        expect(messages(evaluate(edge.dnsAutoscaler, without(stacks.homelab, "dns-autoscaler-deployment")))).toEqual([expect.stringMatching(/^No cluster-proportional-autoscaler/)]);
        const spof = edit(stacks.homelab, "dns-autoscaler-config", (c) => (c.props.data.linear = JSON.stringify({ ...JSON.parse(c.props.data.linear), preventSinglePointFailure: false })));
        expect(messages(evaluate(edge.dnsAutoscaler, spof))).toEqual([expect.stringMatching(/without preventSinglePointFailure/)]);
        // The cluster's size comes from the nodes the stack registers: homelab's 8 nodes.
        expect(edge.dnsAutoscaler.budgets!(stacks.homelab, configOf(edge.dnsAutoscaler))[0].title).toMatch(/^CoreDNS replicas 8 nodes \/ 68 cores/);
    });

    it("rejects an autoscaler whose max is below the replicas the cluster's size calls for, and passes one that allows them", () => {
        const linear = (rs: Resources, change: object) => edit(rs, "dns-autoscaler-config", (c) => (c.props.data.linear = JSON.stringify({ ...JSON.parse(c.props.data.linear), ...change })));
        // homelab: 8 nodes at one replica per 2 nodes call for 4.
        expect(messages(evaluate(edge.dnsAutoscaler, linear(stacks.homelab, { nodesPerReplica: 2, max: 3 })))).toEqual([expect.stringMatching(/8 nodes \/ 68 cores call for .*: 4 needed, the autoscaler stops at 3\.$/)]);
        expect(evaluate(edge.dnsAutoscaler, linear(stacks.homelab, { nodesPerReplica: 2, max: 4 }))).toEqual([]);
        // max 1 runs two replicas all the same on a multi-node cluster (preventSinglePointFailure after the clamp).
        expect(evaluate(edge.dnsAutoscaler, linear(stacks.homelab, { min: 1, max: 1 }))).toEqual([]);
    });
});

describe("safety", () => {
    it("rejects stateful resources and the namespaces holding them without protect", () => {
        const open = stacks.homelab.map((r) => (["storage-cluster", "app-namespace"].includes(r.name) ? { ...r, protect: false } : r));
        expect(messages(evaluate(safety.statefulProtected, open))).toEqual([
            "CephCluster rook-ceph/rook-ceph is stateful but not protected: a delete or replace would destroy its data.",
            "Namespace media-app holds ObjectBucketClaim media-app/media-bucket, Cluster media-app/postgres but is not protected: deleting it deletes them.",
        ]);
    });

    it("rejects credentials in ConfigMaps, env values and other inputs, not in Secrets", () => {
        const leaky = edit(stacks.homelab, "app-web", (d) => container(d).env.push({ name: "SECRET_KEY_BASE", value: "d1f2e3" }));
        expect(messages(evaluate(safety.noPlainSecrets, leaky))).toEqual(["app-web: container web env SECRET_KEY_BASE is a credential in plain text."]);
        const redis = edit(stacks.homelab, "redis-cache-config", (c) => (c.props.data["redis.conf"] += "requirepass hunter22\n"));
        expect(messages(evaluate(safety.noPlainSecrets, redis))).toEqual(["redis-cache-config: data.redis.conf writes a credential into a config file."]);
        const key = k8s({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "tls", annotations: { note: "-----BEGIN RSA PRIVATE KEY-----\nMIIE..." } }, data: { aws: "AKIAIOSFODNN7EXAMPLE" } });
        expect(messages(evaluate(safety.noPlainSecrets, [key]))).toEqual(["tls: metadata.annotations.note holds a private key.", "tls: data.aws holds an AWS access key."]);
        const secret = k8s({ apiVersion: "v1", kind: "Secret", metadata: { name: "db" }, stringData: { password: "hunter22" } });
        expect(evaluate(safety.noPlainSecrets, [secret])).toEqual([]);
    });

    it("rejects credentials inside URLs (user:password@, tokens and signatures in query strings) in any string input; placeholders pass", () => {
        const repo = edit(stacks.homelab, "flux-shard-1-tenants-repository", (g) => (g.props.spec.url = "https://flux:glpat-8Xq2vR7@git.home.arpa/homelab/tenants.git"));
        expect(messages(evaluate(safety.noPlainSecrets, repo))).toEqual(["flux-shard-1-tenants-repository: spec.url holds a password in a URL (user:password@host)."]);
        const env = edit(stacks.homelab, "app-web", (d) => container(d).env.push({ name: "WEBHOOK", value: "https://hooks.example.com/notify?token=4f9a1c2e" }, { name: "DATABASE_URL", value: "postgres://mastodon:$(DB_PASS)@postgres-pooler-rw/mastodon" }));
        expect(messages(evaluate(safety.noPlainSecrets, env))).toEqual(["app-web: spec.template.spec.containers[0].env[" + (container(named(env, "app-web")).env.length - 2) + "].value holds a credential in a URL's query string (token=…)."]);
        const cm = k8s({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "mirror" }, data: { "sources.list": "deb https://apt:s3cr3t-pass@mirror.example.com/debian bookworm main\n", presigned: "https://b.s3.amazonaws.com/o?X-Amz-Signature=ab12" } });
        expect(messages(evaluate(safety.noPlainSecrets, [cm]))).toEqual([
            "mirror: data.sources.list holds a password in a URL (user:password@host).",
            "mirror: data.presigned holds a credential in a URL's query string (X-Amz-Signature=…).",
        ]);
        // An SSH URL with a user and no password, and the shipped stacks' URLs, are no credentials.
        expect(evaluate(safety.noPlainSecrets, [...stacks.dev, ...stacks.homelab, ...stacks.prod])).toEqual([]);
    });
});

describe("media", () => {
    const ALL: Rule[] = [media.bucketAccess, media.bucketEncryption, media.bucketVersioning, media.bucketLifecycle];
    const ofType = (rs: Resources, t: string) => rs.filter((r) => r.type === t);
    const withoutType = (rs: Resources, t: string) => rs.filter((r) => r.type !== t);

    it("passes the prod S3 bucket and the dev RGW claim as the media component builds them", () => {
        expect(ofType(stacks.prod, "aws:s3/bucket:Bucket")).toHaveLength(1);
        expect(ofType(stacks.dev, "kubernetes:objectbucket.io/v1alpha1:ObjectBucketClaim")).toHaveLength(1);
        for (const r of ALL) expect([...evaluate(r, stacks.prod), ...evaluate(r, stacks.dev)]).toEqual([]);
    });

    it("rejects a bucket policy that lets anyone read, or reads beyond the configured CDN ranges", () => {
        const open = stacks.prod.map((r) => {
            if (r.type !== "aws:s3/bucketPolicy:BucketPolicy") return r;
            const doc = JSON.parse(r.props.policy);
            for (const s of doc.Statement) if (s.Effect === "Allow") delete s.Condition;
            return { ...r, props: { ...r.props, policy: JSON.stringify(doc) } };
        });
        const found = evaluate(media.bucketAccess, open);
        expect(found.length).toBeGreaterThan(0);
        expect(found[0]).toMatchObject({ level: "mandatory", urn: ofType(stacks.prod, "aws:s3/bucket:Bucket")[0].urn });
        expect(evaluate(media.bucketAccess, stacks.prod, { cdnRanges: ["10.0.0.0/8"] }).length).toBeGreaterThan(0);
    });

    it("rejects a bucket without encryption or versioning (mandatory) and without lifecycle (advisory)", () => {
        expect(messages(evaluate(media.bucketEncryption, withoutType(stacks.prod, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")))).toEqual([
            expect.stringContaining("no default encryption"),
        ]);
        const suspended = stacks.prod.map((r) => (r.type === "aws:s3/bucketVersioning:BucketVersioning" ? { ...r, props: { ...r.props, versioningConfiguration: { status: "Suspended" } } } : r));
        expect(messages(evaluate(media.bucketVersioning, suspended))).toEqual([expect.stringContaining("versioning is not Enabled")]);
        const noLifecycle = withoutType(stacks.prod, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration");
        expect(evaluate(media.bucketLifecycle, noLifecycle).map((f) => f.level)).toEqual(["advisory", "advisory"]);
        expect(evaluate(media.bucketAccess, noLifecycle)).toEqual([]);
    });

    it("holds the Ceph RGW bucket to the same encryption and lifecycle, and says it cannot be versioned", () => {
        const claim = ofType(stacks.homelab, "kubernetes:objectbucket.io/v1alpha1:ObjectBucketClaim")[0];
        // Encrypted at rest by the OSDs' dm-crypt (storage.encryptedDevices), the shipped stacks pass.
        expect(evaluate(media.bucketEncryption, stacks.homelab)).toEqual([]);
        const plain = edit(stacks.homelab, "storage-cluster", (c) => delete c.props.spec.storage.config);
        expect(evaluate(media.bucketEncryption, plain)).toEqual([
            { rule: "media-bucket-encrypted", level: "mandatory", urn: claim.urn, message: expect.stringMatching(/^bucket media\.social\.home\.arpa: it is stored unencrypted: Ceph RGW encrypts objects by default only with a KMS/) },
        ]);
        // One node opting out leaves its OSDs' share of the bucket in plain text.
        const oneOut = edit(stacks.homelab, "storage-cluster", (c) => (c.props.spec.storage.nodes[1].config = { encryptedDevice: "false" }));
        expect(evaluate(media.bucketEncryption, oneOut)).toHaveLength(1);
        // Safe: RGW's own SSE-S3 through a KMS on the object store.
        const kms = edit(plain, "storage-object-store", (o) => (o.props.spec.security = { s3: { connectionDetails: { KMS_PROVIDER: "vault", VAULT_ADDR: "https://vault.home.arpa:8200" }, tokenSecretName: "rgw-vault-token" } }));
        expect(evaluate(media.bucketEncryption, kms)).toEqual([]);

        expect(evaluate(media.bucketLifecycle, stacks.homelab)).toEqual([]);
        const noRules = edit(stacks.homelab, "media-bucket", (c) => delete c.props.spec.additionalConfig);
        expect(messages(evaluate(media.bucketLifecycle, noRules))).toEqual([
            expect.stringMatching(/no lifecycle rule expires noncurrent versions across the whole bucket \(additionalConfig\.bucketLifecycle\)/),
            expect.stringMatching(/no lifecycle rule aborts incomplete multipart uploads/),
        ]);
        // Rook refuses a claim carrying a field its operator does not allow.
        const strict = edit(stacks.homelab, "storage-rook-operator", (h) => delete h.props.spec.values.obcAllowAdditionalConfigFields);
        expect(messages(evaluate(media.bucketLifecycle, strict))).toEqual([expect.stringMatching(/additionalConfig\.bucketLifecycle is a field the Rook operator does not allow/)]);

        // Versioning: said, never passed silently, at advisory level (no claim field can do it).
        expect(evaluate(media.bucketRgwLimits, stacks.homelab)).toEqual([{ rule: "media-bucket-rgw-limits", level: "advisory", urn: claim.urn, message: expect.stringMatching(/it is not versioned: Rook's ObjectBucketClaim has no setting/) }]);
        expect(evaluate(media.bucketVersioning, stacks.homelab)).toEqual([]);
        expect(evaluate(media.bucketRgwLimits, stacks.prod)).toEqual([]);
    });
});
