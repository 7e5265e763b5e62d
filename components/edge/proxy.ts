// The edge proxy: nginx in front of web and streaming, its nginx.conf sized from the expected peak.
import { PROXY_FACTS } from "../../contract/facts";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { EdgeConfig } from "../../config/edge";
import { allowedArchs } from "../../capacity/instances";
import { CONFIG_HASH_ANNOTATION } from "../../contract/labels";
import { nginxSizing } from "../../capacity/proxy";
import { configHash, imageRef, multiArchAnnotation, placement, podResources, probes, tierLabels } from "../workloads/scheduling";
import { HEALTH_PATH, renderNginxConf } from "../../formats/nginxConf";

/** Port nginx listens on in the pod (unprivileged). */
export const PROXY_PORT = 8080;
const CONFIG_DIR = "/etc/nginx/edge";
const RUNTIME_DIR = "/var/run/nginx-edge";

export interface EdgeProxyArgs {
    /** Replicas, expected peak, headroom, worker processes, image, resources, Service type. */
    proxy: EdgeConfig["proxy"];
    /** Namespace of the proxy (the app's). */
    namespace: string;
    /** Web servers, "host:port". */
    web: string[];
    /** Streaming servers, "host:port". */
    streaming: string[];
    /** Node role the proxy lands on (the web tier's); undefined: any non-dedicated node. */
    role: string | undefined;
    /** PriorityClass of the proxy pods. Default: none. */
    priorityClassName?: string;
    /** Kubernetes provider. */
    provider: k8s.Provider;
    /** Resources that must exist first (namespace, PriorityClass). Default none. */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The nginx.conf the proxy pods run, for given upstreams (what the ConfigMap carries). */
export function proxyNginxConf(args: Pick<EdgeProxyArgs, "proxy" | "web" | "streaming">): string {
    const p = args.proxy;
    return renderNginxConf({
        sizing: nginxSizing(p),
        listen: String(PROXY_PORT),
        web: args.web,
        streaming: args.streaming,
        errorLog: "/dev/stderr",
        runtimeDir: RUNTIME_DIR,
        comment: `Sized for a peak of ${p.peakClients} clients over ${p.replicas} pods with headroom ${p.headroom}.`,
    });
}

/** nginx ConfigMap, Deployment (mounting it), Service and PodDisruptionBudget. */
export class EdgeProxy extends pulumi.ComponentResource {
    /** The proxy's in-cluster address. */
    readonly address: string;

    constructor(name: string, args: EdgeProxyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("media-platform:edge:EdgeProxy", name, {}, opts);
        this.address = createEdgeProxy(name, args, this);
        this.registerOutputs({ address: this.address });
    }
}

function createEdgeProxy(name: string, args: EdgeProxyArgs, parent: pulumi.ComponentResource): string {
    const opts = { parent, provider: args.provider, dependsOn: args.dependsOn };
    const p = args.proxy;
    const objectName = "edge-proxy";
    const labels = tierLabels(objectName, "proxy");
    const conf = proxyNginxConf(args);

    new k8s.core.v1.ConfigMap(`${name}-config`, { metadata: { name: objectName, namespace: args.namespace, labels }, data: { "nginx.conf": conf } }, opts);

    new k8s.apps.v1.Deployment(
        name,
        {
            metadata: {
                name: objectName,
                namespace: args.namespace,
                labels,
                annotations: PROXY_FACTS.encode({ peakClients: p.peakClients }),
            },
            spec: {
                replicas: p.replicas,
                selector: { matchLabels: labels },
                template: {
                    metadata: { labels, annotations: { [CONFIG_HASH_ANNOTATION]: configHash(conf), ...multiArchAnnotation(p.image.multiArch) } },
                    spec: {
                        ...placement(args.role, allowedArchs(p.image.multiArch)),
                        ...(args.priorityClassName ? { priorityClassName: args.priorityClassName } : {}),
                        containers: [
                            {
                                name: "nginx",
                                image: imageRef(p.image),
                                args: ["nginx", "-c", `${CONFIG_DIR}/nginx.conf`, "-g", "daemon off;"],
                                ports: [{ name: "http", containerPort: PROXY_PORT }],
                                resources: podResources(p.memoryMiB, p.cpu),
                                ...probes({ httpGet: { path: HEALTH_PATH, port: PROXY_PORT } }),
                                volumeMounts: [
                                    { name: "config", mountPath: CONFIG_DIR, readOnly: true },
                                    { name: "runtime", mountPath: RUNTIME_DIR },
                                ],
                            },
                        ],
                        volumes: [
                            { name: "config", configMap: { name: objectName } },
                            { name: "runtime", emptyDir: {} },
                        ],
                    },
                },
            },
        },
        opts,
    );

    new k8s.core.v1.Service(
        `${name}-service`,
        {
            metadata: { name: objectName, namespace: args.namespace, labels },
            spec: { type: p.serviceType, selector: labels, ports: [{ name: "http", port: 80, targetPort: PROXY_PORT }] },
        },
        opts,
    );

    if (p.replicas > 1) {
        new k8s.policy.v1.PodDisruptionBudget(
            `${name}-pdb`,
            { metadata: { name: objectName, namespace: args.namespace, labels }, spec: { maxUnavailable: 1, selector: { matchLabels: labels } } },
            opts,
        );
    }
    return `${objectName}.${args.namespace}.svc.cluster.local`;
}
