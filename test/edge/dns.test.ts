// CoreDNS autoscaling: cluster-proportional-autoscaler in linear mode, parameters from config, least RBAC.
import { parseLinearParams } from "../../capacity/dns";
import { configOf } from "../../policies/framework";
import { dnsAutoscaler } from "../../policies/rules/edge";
import { policyResources } from "../../stacks/resources";
import { runStack, type StackRun } from "../harness";
import { object } from "../workloads/read";

let prod: StackRun;
beforeAll(async () => {
    prod = await runStack("prod");
});

describe("DNS autoscaler", () => {
    it("reads linear parameters from its ConfigMap, as config sets them, with preventSinglePointFailure", () => {
        const cm = object(prod, "ConfigMap", "dns-autoscaler");
        expect(cm.metadata.namespace).toBe("kube-system");
        const params = parseLinearParams(cm.data.linear);
        expect(params).toEqual({ coresPerReplica: 256, nodesPerReplica: 16, min: 2, max: 20, preventSinglePointFailure: true });
        // The pack sizes the cluster from the nodes the stack registers: prod's 25 nodes and their 272 cores call
        // for 2 replicas (max(⌈272 / 256⌉, ⌈25 / 16⌉) = 2), of at most 20.
        const [budget] = dnsAutoscaler.budgets!(policyResources(prod.resources), configOf(dnsAutoscaler));
        expect(budget).toMatchObject({ used: 2, limit: 20, unit: "replicas" });
        expect(budget.title).toMatch(/^CoreDNS replicas 25 nodes \/ 272 cores call for/);
    });

    it("scales the configured CoreDNS Deployment with the upstream image", async () => {
        const run = await runStack("homelab", {
            mutate: (c) => {
                c["media-platform:edge"].dns.deployment = "kube-dns";
                c["media-platform:edge"].dns.nodesPerReplica = 4;
            },
        });
        const d = object(run, "Deployment", "dns-autoscaler");
        const c = d.spec.template.spec.containers[0];
        expect(c.image).toBe("registry.k8s.io/cpa/cluster-proportional-autoscaler:v1.10.3");
        expect(c.args).toEqual(["--namespace=kube-system", "--configmap=dns-autoscaler", "--target=deployment/kube-dns", "--logtostderr=true", "--v=2"]);
        expect(c.readinessProbe.httpGet).toEqual({ path: "/healthz", port: 8080 });
        expect(c.livenessProbe.httpGet).toEqual({ path: "/healthz", port: 8080 });
        expect(d.spec.template.spec.serviceAccountName).toBe("dns-autoscaler");
        expect(parseLinearParams(object(run, "ConfigMap", "dns-autoscaler").data.linear).nodesPerReplica).toBe(4);
        const role = object(run, "Role", "dns-autoscaler");
        expect(role.rules[0]).toEqual({ apiGroups: ["apps"], resources: ["deployments/scale"], resourceNames: ["kube-dns"], verbs: ["get", "update"] });
    });

    it("may list and watch nodes cluster-wide, and nothing else", () => {
        expect(object(prod, "ClusterRole", "media-platform-dns-autoscaler").rules).toEqual([{ apiGroups: [""], resources: ["nodes"], verbs: ["list", "watch"] }]);
        const binding = object(prod, "ClusterRoleBinding", "media-platform-dns-autoscaler");
        expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "dns-autoscaler", namespace: "kube-system" }]);
        expect(object(prod, "RoleBinding", "dns-autoscaler").roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "dns-autoscaler" });
    });
});
