// CephStorage under mocks for the three shipped stacks: every Rook and Flux object valid against the upstream
// CRDs, explicit nodes and devices, daemons sized by the capacity model, capacity facts a policy can rebuild
// the model from, and the stateful objects protected.
import { STORAGE_FACTS } from "../../contract/facts";
import { DEFAULT_MAX_RECOVERY_HOURS, DEFAULT_STORAGE_HEADROOM, storageModel } from "../../capacity/storage";
import { storageInputOf } from "../../policies/rules/storage";
import { policyResources } from "../../stacks/resources";
import { storageModelInput } from "../../config/model";
import { STORAGE_NODE_LABEL } from "../../contract/labels";
import { blockPoolManifest, cephClusterManifest, EC2_INSTANCE_STORE_PATH_FILTER, filesystemManifest, ROOK_NAMESPACE } from "../../components/storage/cephStorage";
import { manifestOf, schemaErrors } from "../schema/validate";
import { runStack, SHIPPED_STACKS, type RegisteredResource, type StackRun } from "../harness";

const kindOf = (r: RegisteredResource) => r.inputs.kind as string;
const storageParts = (run: StackRun) => run.resources.filter((r) => r.name.startsWith("storage-"));
const crOfKind = (run: StackRun, kind: string) => storageParts(run).filter((r) => r.type.startsWith("kubernetes:") && kindOf(r) === kind);
const one = (run: StackRun, kind: string) => {
    const found = crOfKind(run, kind);
    expect(found).toHaveLength(1);
    return found[0];
};
/** Parses a Kubernetes memory quantity in Mi or Gi into GiB. */
const gib = (q: string) => (q.endsWith("Gi") ? parseFloat(q) : parseFloat(q) / 1024);

const runs: Partial<Record<string, StackRun>> = {};
beforeAll(async () => {
    for (const stack of SHIPPED_STACKS) runs[stack] = await runStack(stack);
});

describe.each(SHIPPED_STACKS)("Ceph storage in the %s stack", (stack) => {
    const run = () => runs[stack]!;

    it("registers a CephStorage component of the storage module with its children under it", () => {
        const component = run().one("storage", "media-platform:storage:CephStorage");
        for (const r of storageParts(run()).filter((r) => r.type !== "media-platform:storage:CephStorage")) expect(r.parent).toBe(component.urn);
    });

    it("emits only objects that validate against the upstream CRDs and Kubernetes' schema", () => {
        const objects = storageParts(run()).filter((r) => r.custom && r.type.startsWith("kubernetes:"));
        const kinds = new Set(objects.map(kindOf));
        for (const k of ["Namespace", "HelmRepository", "HelmRelease", "CephCluster", "CephBlockPool", "CephFilesystem", "StorageClass"]) expect(kinds).toContain(k);
        for (const r of objects) expect(schemaErrors(manifestOf(r.inputs))).toEqual([]);
    });

    it("installs the Rook operator through Flux, matching storage nodes by the storage-node label", () => {
        const repo = one(run(), "HelmRepository");
        const release = one(run(), "HelmRelease");
        expect(repo.inputs.apiVersion).toBe("source.toolkit.fluxcd.io/v1");
        expect(release.inputs.apiVersion).toBe("helm.toolkit.fluxcd.io/v2");
        expect(release.inputs.spec.chart.spec).toEqual({ chart: "rook-ceph", version: run().config.storage.rookVersion, sourceRef: { kind: "HelmRepository", name: repo.inputs.metadata.name } });
        expect(release.inputs.metadata.namespace).toBe(repo.inputs.metadata.namespace);
        expect(release.inputs.metadata.namespace).toBe(run().config.flux.namespace);
        expect(release.inputs.spec.targetNamespace).toBe(ROOK_NAMESPACE);
        expect(release.inputs.spec.values.customHostnameLabel).toBe(STORAGE_NODE_LABEL);
        // No shard label: the platform's own releases belong to Flux's main controllers.
        expect(Object.keys(release.inputs.metadata.labels ?? {})).not.toContain("sharding.fluxcd.io/key");
        // The stack owns Rook's CRDs: the chart installs none, and the Ceph objects wait for their CRD, not the operator.
        expect(release.inputs.spec.values.crds).toEqual({ enabled: false });
        expect(release.inputs.spec.install.crds).toBe("Skip");
        const crd = run().resources.find((r) => r.type === "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition" && r.inputs.metadata.name === "cephclusters.ceph.rook.io")!;
        expect(crd.protect).toBe(true);
        expect(one(run(), "CephCluster").dependencies).toContain(crd.urn);
        expect(one(run(), "CephCluster").dependencies).not.toContain(release.urn);
    });

    it("names every storage node explicitly, with useAllNodes false", () => {
        const spec = one(run(), "CephCluster").inputs.spec;
        expect(spec.storage.useAllNodes).toBe(false);
        expect(spec.storage.useAllDevices).toBe(false);
        expect(spec.storage.nodes.map((n: any) => n.name)).toEqual(run().config.storage.nodes.map((n) => n.name));
        for (const [i, n] of spec.storage.nodes.entries()) {
            const configured = run().config.storage.nodes[i];
            if (configured.instanceType) expect(n.devicePathFilter).toBe(EC2_INSTANCE_STORE_PATH_FILTER);
            else expect(n.devices.map((d: any) => d.name)).toEqual(configured.devices.map((d) => d.name));
        }
        expect(spec.mon).toEqual({ count: 3, allowMultiplePerNode: false });
        expect(spec.mgr.count).toBe(2);
    });

    it("places every Ceph daemon on the tainted storage nodes", () => {
        const all = one(run(), "CephCluster").inputs.spec.placement.all;
        expect(all.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0]).toEqual({
            key: "media-platform.io/role",
            operator: "In",
            values: ["storage"],
        });
        expect(all.tolerations).toEqual([{ key: "media-platform.io/dedicated", operator: "Equal", value: "storage", effect: "NoSchedule" }]);
        expect(one(run(), "CephFilesystem").inputs.spec.metadataServer.placement).toEqual(all);
    });

    it("sizes the daemons from the model, and the sizes add up to the model's memory budget", () => {
        const storage = run().config.storage;
        const cluster = one(run(), "CephCluster").inputs.spec;
        const mds = one(run(), "CephFilesystem").inputs.spec.metadataServer;
        expect(gib(cluster.resources.osd.requests.memory)).toBe(storage.osdMemoryTargetGiB);
        expect(gib(cluster.resources.osd.limits.memory)).toBe(storage.osdMemoryTargetGiB * 2);
        expect(Number(cluster.cephConfig.osd.osd_memory_target)).toBe(storage.osdMemoryTargetGiB * 2 ** 30);
        expect(gib(mds.resources.limits.memory)).toBe(storage.filesystem.mdsMemoryGiB);
        expect(mds.activeCount).toBe(storage.filesystem.activeMds);
        expect(Number(cluster.resources.osd.requests.cpu)).toBe(Math.max(...storageModel(storageModelInput(storage)).nodes.map((n) => n.osdCpuCores)));
        // Memory limits of what one node hosts (from the registered objects) × 1.2 = the model's figure.
        const m = storageModel(storageModelInput(storage)).nodes[0];
        const rgw = crOfKind(run(), "CephObjectStore")[0]?.inputs.spec.gateway;
        const fromObjects =
            m.daemons.osds * gib(cluster.resources.osd.limits.memory) +
            m.daemons.mds * gib(mds.resources.limits.memory) +
            m.daemons.mons * gib(cluster.resources.mon.limits.memory) +
            m.daemons.mgrs * gib(cluster.resources.mgr.limits.memory) +
            (rgw ? m.daemons.rgws * gib(rgw.resources.limits.memory) : 0);
        expect(fromObjects * 1.2).toBeCloseTo(m.memoryGiB, 6);
    });

    it("carries the capacity facts a policy needs to rebuild the model from the CephCluster, filesystem and pools", () => {
        // The storage rules' own reader, at the pack's default thresholds, rebuilds what the component sized from config.
        const resources = policyResources(run().resources);
        const cluster = resources.find((r) => r.type === "kubernetes:ceph.rook.io/v1:CephCluster")!;
        const thresholds = { headroom: DEFAULT_STORAGE_HEADROOM, maxRecoveryHours: DEFAULT_MAX_RECOVERY_HOURS };
        expect(storageInputOf(cluster, resources, thresholds)).toEqual(storageModelInput(run().config.storage));
        // A stack's own headroom or recovery limit is carried only when it tightens the pack's.
        expect(Object.keys(cluster.props.metadata.annotations)).not.toContain(STORAGE_FACTS.keys.headroom);
    });

    it("protects the namespace, cluster, pools, filesystem and object store", () => {
        const stateful = storageParts(run()).filter((r) => ["CephCluster", "CephBlockPool", "CephFilesystem", "CephObjectStore"].includes(kindOf(r)) || r.type === "kubernetes:core/v1:Namespace");
        expect(new Set(stateful.map(kindOf))).toEqual(new Set(["Namespace", "CephCluster", "CephBlockPool", "CephFilesystem", ...(run().config.storage.objectStore.enabled ? ["CephObjectStore"] : [])]));
        for (const r of stateful) expect(r.protect).toBe(true);
    });

    it("keeps volumes on deletion: both StorageClasses retain", () => {
        const classes = run().ofType("kubernetes:storage.k8s.io/v1:StorageClass").filter((r) => r.name.startsWith("storage-"));
        expect(classes.map((c) => c.inputs.metadata.name).sort()).toEqual([run().config.storage.blockPool.storageClass, run().config.storage.filesystem.storageClass].sort());
        for (const c of classes) expect(c.inputs.reclaimPolicy).toBe("Retain");
        const block = classes.find((c) => c.inputs.metadata.name === run().config.storage.blockPool.storageClass)!;
        expect(block.inputs.parameters.pool).toBe(one(run(), "CephBlockPool").inputs.metadata.name);
    });

    it("replicates the block pool 3 times across hosts", () => {
        expect(one(run(), "CephBlockPool").inputs.spec).toMatchObject({ failureDomain: "host", replicated: { size: 3, requireSafeReplicaSize: true } });
    });
});

describe("the object store", () => {
    it("serves S3-compatible media in dev and homelab, and is absent in prod (S3)", () => {
        for (const stack of ["dev", "homelab"]) {
            const store = one(runs[stack]!, "CephObjectStore").inputs;
            expect(store.metadata.name).toBe(runs[stack]!.config.storage.objectStore.name);
            expect(store.spec.gateway.instances).toBe(runs[stack]!.config.storage.objectStore.gatewayInstances);
        }
        expect(crOfKind(runs.prod!, "CephObjectStore")).toHaveLength(0);
    });
});

describe("storage config variants (manifests built directly)", () => {
    const homelab = () => runs.homelab!.config.storage;

    it("raises the MDS count on the CephFilesystem and in the node memory it costs", () => {
        // homelab: 2 active + 2 standby over 3 nodes (2 per node); 4 + 4 puts 3 on a node.
        const storage = { ...homelab(), filesystem: { ...homelab().filesystem, activeMds: 4 } };
        expect(filesystemManifest(storage).spec.metadataServer.activeCount).toBe(4);
        expect(storageModel(storageModelInput(storage)).nodes[0].daemons.mds).toBe(3);
        expect(storageModel(storageModelInput(storage)).nodes[0].memoryGiB).toBeGreaterThan(storageModel(storageModelInput(homelab())).nodes[0].memoryGiB);
    });

    it("uses multus networks when configured", () => {
        const storage = { ...homelab(), network: { provider: "multus" as const, publicNetwork: "rook-ceph/public-net", clusterNetwork: "rook-ceph/cluster-net" } };
        const cluster = cephClusterManifest(storage, storageModel(storageModelInput(storage)));
        expect(cluster.spec.network).toEqual({ provider: "multus", selectors: { public: "rook-ceph/public-net", cluster: "rook-ceph/cluster-net" } });
        expect(schemaErrors(cluster)).toEqual([]);
    });

    it("states the recovery throttles in cephConfig: the configured ones, else Ceph's defaults for the device class", () => {
        const osd = (storage: ReturnType<typeof homelab>) => cephClusterManifest(storage, storageModel(storageModelInput(storage))).spec.cephConfig.osd;
        expect(osd(homelab())).toMatchObject({ osd_op_queue: "wpq", osd_max_backfills: "4", osd_recovery_max_active: "8", osd_recovery_sleep_ssd: "0" });
        const unset = { ...homelab(), recovery: { mbpsPerOsd: 100, maxHours: 24 } };
        expect(osd(unset)).toMatchObject({ osd_max_backfills: "1", osd_recovery_max_active: "10", osd_recovery_sleep_ssd: "0" });
        // A spinning disk anywhere: Ceph applies its HDD settings, so the sleep is stated for hdd.
        const spinning = { ...unset, nodes: unset.nodes.map((n) => ({ ...n, devices: n.devices.map((d) => ({ ...d, class: "hdd" as const })) })) };
        expect(osd(spinning)).toMatchObject({ osd_recovery_max_active: "3", osd_recovery_sleep_hdd: "0.1" });
        expect(osd(spinning)).not.toHaveProperty("osd_recovery_sleep_ssd");
        expect(schemaErrors(cephClusterManifest(spinning, storageModel(storageModelInput(spinning))))).toEqual([]);
    });

    it("keeps a single-copy dev pool valid by telling Rook one copy is meant", () => {
        const storage = { ...homelab(), blockPool: { ...homelab().blockPool, replicas: 1 } };
        const pool = blockPoolManifest(storage);
        expect(pool.spec.replicated).toEqual({ size: 1, requireSafeReplicaSize: false });
        expect(schemaErrors(pool)).toEqual([]);
    });
});
