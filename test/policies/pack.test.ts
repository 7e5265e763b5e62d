// The adapter from the engine's resources to the rules' (policies/pack.ts): a resource's inputs are converted
// when a rule first reads them, once, and never for a resource no rule reads.
import type { PolicyResource as EngineResource, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { rule } from "../../policies/framework";
import { toPolicy } from "../../policies/pack";

/** Engine-side inputs that count how often they are read. */
function counted(props: Record<string, unknown>) {
    const reads = { n: 0 };
    return { reads, props: new Proxy(props, { get: (t, k) => (reads.n++, Reflect.get(t, k)), ownKeys: (t) => (reads.n++, Reflect.ownKeys(t)) }) };
}

const engineResource = (type: string, name: string, props: Record<string, unknown>) =>
    ({ urn: `urn:pulumi:dev::media-platform::${type}::${name}`, type, name, props, opts: { protect: false }, dependencies: [], propertyDependencies: {} }) as unknown as EngineResource;

/** Runs a stack rule that reads the Ceph cluster's node names `times` times; returns how often each input was read. */
function run(times: number) {
    const crd = counted({ spec: { group: "ceph.rook.io", versions: [{ name: "v1" }] } });
    const cluster = counted({ spec: { storage: { nodes: [{ name: "dev-storage-1" }] } } });
    const seen: string[] = [];
    const policy = toPolicy(
        rule({
            name: "reads-the-ceph-cluster",
            family: "storage",
            description: "reads the Ceph cluster's node names",
            enforcementLevel: "mandatory",
            severity: "high",
            remediationSteps: "none",
            config: {},
            checkStack: (resources) => {
                const ceph = resources.find((x) => x.type.endsWith(":CephCluster"))!;
                for (let i = 0; i < times; i++) seen.push(ceph.props.spec.storage.nodes[0].name);
            },
        }),
    ) as StackValidationPolicy;
    const violations: string[] = [];
    const resources = [
        engineResource("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", "storage-crd-cephclusters.ceph.rook.io", crd.props),
        engineResource("kubernetes:ceph.rook.io/v1:CephCluster", "storage-cluster", cluster.props),
    ];
    policy.validateStack({ resources, getConfig: () => ({}) } as unknown as StackValidationArgs, (m) => violations.push(String(m)));
    return { violations, seen, crdReads: crd.reads.n, clusterReads: cluster.reads.n };
}

describe("the pack's resources", () => {
    it("convert a resource's inputs on a rule's first read, and never when no rule reads them", () => {
        const once = run(1);
        expect(once.violations).toEqual([]);
        expect(once.seen).toEqual(["dev-storage-1"]);
        expect(once.crdReads).toBe(0);
        expect(once.clusterReads).toBeGreaterThan(0);
    });

    it("convert them once however often the rule reads them", () => {
        const thrice = run(3);
        expect(thrice.seen).toEqual(["dev-storage-1", "dev-storage-1", "dev-storage-1"]);
        expect(thrice.clusterReads).toBe(run(1).clusterReads);
    });
});
