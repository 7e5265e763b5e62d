// CoreDNS that scales with the cluster (outage 4 in docs/outages.md): cluster-proportional-autoscaler in linear mode,
// its parameters in a ConfigMap Pulumi owns, with the RBAC it needs and nothing more.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { EdgeConfig } from "../../config/edge";
import { linearParamsJson, LINEAR_KEY } from "../../capacity/dns";
import { imageRef, multiArchAnnotation, podResources, probes, tierLabels } from "../workloads/scheduling";

/** CoreDNS and its autoscaler live in kube-system. */
export const DNS_NAMESPACE = "kube-system";
/** The autoscaler's health endpoint (pkg/autoscaler/health.go: :8080/healthz). */
const HEALTH_PORT = 8080;

export interface DnsAutoscalerArgs {
    /** Linear parameters, the DNS Deployment's name and the autoscaler image. */
    dns: EdgeConfig["dns"];
    /** Kubernetes provider. */
    provider: k8s.Provider;
}

export const dnsAutoscalerName = "dns-autoscaler";

/** ServiceAccount, ClusterRole (nodes), Role (scale the DNS Deployment, read its ConfigMap), bindings, ConfigMap and Deployment. */
export class DnsAutoscaler extends pulumi.ComponentResource {
    constructor(name: string, args: DnsAutoscalerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("media-platform:edge:DnsAutoscaler", name, {}, opts);
        createDnsAutoscaler(name, args, this);
        this.registerOutputs({});
    }
}

/** The autoscaler's container args: it reads `linear` from the ConfigMap and scales the target. */
export function dnsAutoscalerArgs(target: string): string[] {
    return [
        `--namespace=${DNS_NAMESPACE}`,
        `--configmap=${dnsAutoscalerName}`,
        `--target=deployment/${target}`,
        "--logtostderr=true",
        "--v=2",
    ];
}

function createDnsAutoscaler(name: string, args: DnsAutoscalerArgs, parent: pulumi.ComponentResource): void {
    const opts = { parent, provider: args.provider };
    const d = args.dns;
    const objectName = dnsAutoscalerName;
    const labels = tierLabels(objectName, "dns");
    const meta = { name: objectName, namespace: DNS_NAMESPACE, labels };
    // Cluster-scoped names carry the project prefix: they share one namespace with everything else.
    const clusterName = `media-platform-${objectName}`;

    const account = new k8s.core.v1.ServiceAccount(`${name}-serviceaccount`, { metadata: meta }, opts);
    const clusterRole = new k8s.rbac.v1.ClusterRole(
        `${name}-clusterrole`,
        { metadata: { name: clusterName, labels }, rules: [{ apiGroups: [""], resources: ["nodes"], verbs: ["list", "watch"] }] },
        opts,
    );
    new k8s.rbac.v1.ClusterRoleBinding(
        `${name}-clusterrolebinding`,
        {
            metadata: { name: clusterName, labels },
            subjects: [{ kind: "ServiceAccount", name: objectName, namespace: DNS_NAMESPACE }],
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterName },
        },
        { ...opts, dependsOn: [account, clusterRole] },
    );
    const role = new k8s.rbac.v1.Role(
        `${name}-role`,
        {
            metadata: meta,
            rules: [
                // Only the DNS Deployment's scale subresource, and only its own ConfigMap (which Pulumi creates).
                { apiGroups: ["apps"], resources: ["deployments/scale"], resourceNames: [d.deployment], verbs: ["get", "update"] },
                { apiGroups: [""], resources: ["configmaps"], resourceNames: [objectName], verbs: ["get"] },
            ],
        },
        opts,
    );
    new k8s.rbac.v1.RoleBinding(
        `${name}-rolebinding`,
        {
            metadata: meta,
            subjects: [{ kind: "ServiceAccount", name: objectName, namespace: DNS_NAMESPACE }],
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: objectName },
        },
        { ...opts, dependsOn: [account, role] },
    );

    const config = new k8s.core.v1.ConfigMap(
        `${name}-config`,
        {
            metadata: meta,
            data: {
                [LINEAR_KEY]: linearParamsJson({
                    coresPerReplica: d.coresPerReplica,
                    nodesPerReplica: d.nodesPerReplica,
                    min: d.min,
                    max: d.max,
                    preventSinglePointFailure: d.preventSinglePointFailure,
                }),
            },
        },
        opts,
    );

    new k8s.apps.v1.Deployment(
        `${name}-deployment`,
        {
            metadata: meta,
            spec: {
                replicas: 1,
                selector: { matchLabels: labels },
                template: {
                    metadata: { labels, annotations: multiArchAnnotation(d.image.multiArch) },
                    spec: {
                        serviceAccountName: objectName,
                        // DNS is cluster-critical; the class exists in every cluster and is allowed in kube-system.
                        priorityClassName: "system-cluster-critical",
                        nodeSelector: { "kubernetes.io/os": "linux" },
                        tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }],
                        securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: "RuntimeDefault" } },
                        containers: [
                            {
                                name: "autoscaler",
                                image: imageRef(d.image),
                                args: dnsAutoscalerArgs(d.deployment),
                                // Kubernetes' DNS autoscaling example requests 20m CPU; 64 Mi leaves room for the node informer.
                                resources: podResources(64, 0.02),
                                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                                ports: [{ name: "health", containerPort: HEALTH_PORT }],
                                ...probes({ httpGet: { path: "/healthz", port: HEALTH_PORT } }),
                            },
                        ],
                    },
                },
            },
        },
        { ...opts, dependsOn: [config, account] },
    );
}
