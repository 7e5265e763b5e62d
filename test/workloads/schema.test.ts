// Every object the data, workloads and edge components emit, in every shipped stack, against the real
// schemas: CloudNativePG and Flux objects against the upstream CRDs in ../shared/crds, the rest against
// Kubernetes' own schema.
import { manifestOf, schemaErrors } from "../schema/validate";
import { runStack, SHIPPED_STACKS } from "../harness";
import { childrenOf } from "./read";

describe.each(SHIPPED_STACKS)("stack %s", (stack) => {
    it("emits only schema-valid objects with explicit names", async () => {
        const run = await runStack(stack);
        const objects = childrenOf(run, ["data", "workloads", "edge"]).map((r) => manifestOf(r.inputs));
        const kinds = new Set(objects.map((o) => `${o.apiVersion}/${o.kind}`));
        for (const k of ["postgresql.cnpg.io/v1/Cluster", "postgresql.cnpg.io/v1/Pooler", "helm.toolkit.fluxcd.io/v2/HelmRelease", "source.toolkit.fluxcd.io/v1/HelmRepository", "apps/v1/Deployment", "apps/v1/StatefulSet", "scheduling.k8s.io/v1/PriorityClass", "rbac.authorization.k8s.io/v1/ClusterRole"]) {
            expect(kinds).toContain(k);
        }
        const errors = objects.flatMap((o) => schemaErrors(o));
        expect(errors).toEqual([]);
        for (const o of objects) {
            expect(o.metadata?.name).toBeTruthy();
            if (!["PriorityClass", "ClusterRole", "ClusterRoleBinding"].includes(o.kind)) expect([o.kind, o.metadata?.namespace]).toEqual([o.kind, expect.any(String)]);
        }
    });
});

it("the checker would catch a misspelt CloudNativePG field", () => {
    const pooler = {
        apiVersion: "postgresql.cnpg.io/v1",
        kind: "Pooler",
        metadata: { name: "p", namespace: "n" },
        spec: { cluster: { name: "c" }, pgbouncer: { poolmode: "transaction" } },
    };
    expect(schemaErrors(pooler).join("\n")).toMatch(/additional properties \(poolmode\)/);
});
