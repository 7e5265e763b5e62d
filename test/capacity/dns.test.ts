// CoreDNS replicas as cluster-proportional-autoscaler's linear mode computes them.
import fc from "fast-check";
import { dnsBudgets, dnsReplicas, dnsReplicasWanted, linearParamsJson, parseLinearParams, type LinearParams } from "../../capacity/dns";

// Kubernetes' DNS horizontal autoscaling example.
const example: LinearParams = { coresPerReplica: 256, nodesPerReplica: 16, min: 1, max: 0, preventSinglePointFailure: true };

describe("DNS autoscaling (linear)", () => {
    it("takes the larger of the cores and nodes terms", () => {
        expect(dnsReplicas({ nodes: 100, cores: 400 }, example)).toBe(7); // ceil(100/16) = 7 > ceil(400/256) = 2
        expect(dnsReplicas({ nodes: 10, cores: 4096 }, example)).toBe(16); // ceil(4096/256) = 16
    });

    it("keeps two replicas on a multi-node cluster with preventSinglePointFailure, one on a single node", () => {
        expect(dnsReplicas({ nodes: 3, cores: 12 }, example)).toBe(2);
        expect(dnsReplicas({ nodes: 3, cores: 12 }, { ...example, preventSinglePointFailure: false })).toBe(1);
        expect(dnsReplicas({ nodes: 1, cores: 4 }, example)).toBe(1);
    });

    it("clamps to [min, max], then applies preventSinglePointFailure as upstream does (it can exceed max = 1)", () => {
        expect(dnsReplicas({ nodes: 1000, cores: 64000 }, { ...example, max: 20 })).toBe(20);
        expect(dnsReplicas({ nodes: 2, cores: 8 }, { ...example, min: 3 })).toBe(3);
        expect(dnsReplicas({ nodes: 5, cores: 20 }, { ...example, max: 1 })).toBe(2);
    });

    it("flags a cluster that calls for more replicas than the autoscaler's max", () => {
        const [b] = dnsBudgets({ nodes: 400, cores: 6400 }, { ...example, max: 20 });
        expect(dnsReplicasWanted({ nodes: 400, cores: 6400 }, { ...example, max: 20 })).toBe(25);
        expect([b.used, b.limit]).toEqual([25, 20]);
    });

    it("round-trips its ConfigMap JSON, defaulting min 0 to 1 as the autoscaler does", () => {
        expect(parseLinearParams(linearParamsJson({ ...example, max: 20 }))).toEqual({ ...example, max: 20 });
        expect(parseLinearParams('{"nodesPerReplica":16,"min":0}').min).toBe(1);
    });

    it("property: replicas grow with the cluster and stay within [min, max] (max ≥ 2)", () => {
        fc.assert(
            fc.property(fc.nat({ max: 5000 }), fc.nat({ max: 5000 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 5, max: 50 }), (nodes, extra, min, max) => {
                const p = { ...example, min, max };
                const small = dnsReplicas({ nodes, cores: nodes * 4 }, p);
                const big = dnsReplicas({ nodes: nodes + extra, cores: (nodes + extra) * 4 }, p);
                expect(big).toBeGreaterThanOrEqual(small);
                expect(small).toBeGreaterThanOrEqual(min);
                expect(big).toBeLessThanOrEqual(max);
            }),
        );
    });
});
