// The schema checker itself: it must reject what the API server (or its pruning) would not keep.
import { loadCrdSchemas, schemaErrors } from "./validate";

describe("schema checker", () => {
    it("loads every upstream CRD version", () => {
        const keys = [...loadCrdSchemas().keys()];
        for (const k of ["ceph.rook.io/v1/CephCluster", "postgresql.cnpg.io/v1/Pooler", "kustomize.toolkit.fluxcd.io/v1/Kustomization", "helm.toolkit.fluxcd.io/v2/HelmRelease", "source.toolkit.fluxcd.io/v1/GitRepository", "objectbucket.io/v1alpha1/ObjectBucketClaim"]) {
            expect(keys).toContain(k);
        }
    });

    const kustomization = {
        apiVersion: "kustomize.toolkit.fluxcd.io/v1",
        kind: "Kustomization",
        metadata: { name: "tenant-alice", namespace: "flux-system", labels: { "sharding.fluxcd.io/key": "shard-3" } },
        spec: { interval: "10m", path: "./tenants/alice", prune: true, sourceRef: { kind: "GitRepository", name: "tenants-shard-3" } },
    };

    it("accepts a valid custom resource", () => {
        expect(schemaErrors(kustomization)).toEqual([]);
    });

    it("rejects a misspelt field, a wrong type and a missing required field", () => {
        const bad = { ...kustomization, spec: { ...kustomization.spec, prnue: true, interval: 600, sourceRef: { name: "x" } } };
        const errors = schemaErrors(bad).join("\n");
        expect(errors).toMatch(/\/spec must NOT have additional properties \(prnue\)/);
        expect(errors).toMatch(/\/spec\/interval must be string/);
        expect(errors).toMatch(/\/spec\/sourceRef must have required property 'kind'/);
    });

    it("checks core objects against Kubernetes' schema and metadata rules", () => {
        expect(schemaErrors({ apiVersion: "v1", kind: "Namespace", metadata: { name: "tenant-alice" } })).toEqual([]);
        const errors = schemaErrors({
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: "Bad_Name", labels: { app: "x".repeat(64) } },
            spec: { ports: [{ port: "http" }] },
        }).join("\n");
        expect(errors).toMatch(/not a DNS subdomain/);
        expect(errors).toMatch(/invalid value/);
        expect(errors).toMatch(/port must be integer/);
    });

    it("refuses an object it has no schema for, rather than passing it", () => {
        expect(() => schemaErrors({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } })).toThrow(/no schema known/);
    });
});
