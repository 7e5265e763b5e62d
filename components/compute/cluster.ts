// The Kubernetes cluster the platform lands on, and the provider every Kubernetes resource uses.
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import { onAws, type ClusterConfig, type EksClusterConfig } from "../../config/cluster";

export interface KubernetesClusterArgs {
    /** Where the cluster is: render (YAML to a folder), eks (created or existing) or existing (kubeconfig). */
    cluster: ClusterConfig;
    /** Project root that relative render folders resolve against. */
    projectRoot: string;
    /** Stack name, used for the default render folder `rendered/<stack>`. */
    stack: string;
}

/** The cluster (for eks) and the Kubernetes provider bound to it. */
export class KubernetesCluster extends pulumi.ComponentResource {
    /** Provider for every Kubernetes resource of the platform. */
    readonly provider: k8s.Provider;
    /** Folder manifests are written to, when rendering. */
    readonly renderDirectory?: string;
    /** EKS cluster name, for node groups. */
    readonly eksClusterName?: pulumi.Output<string>;
    /** EKS: the IAM role every managed node group's instances assume, and the subnets they launch in. */
    readonly nodeGroupContext?: NodeGroupContext;

    constructor(name: string, args: KubernetesClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("media-platform:compute:KubernetesCluster", name, {}, opts);
        const built = createCluster(name, args, this);
        this.provider = built.provider;
        this.renderDirectory = built.renderDirectory;
        this.eksClusterName = built.eksClusterName;
        this.nodeGroupContext = built.nodeGroupContext;
        this.registerOutputs({ renderDirectory: this.renderDirectory, eksClusterName: this.eksClusterName, nodeRoleArn: this.nodeGroupContext?.nodeRoleArn });
    }
}

export function renderDirectoryOf(args: KubernetesClusterArgs): string | undefined {
    const c = args.cluster;
    const rel = c.provider === "render" ? (c.directory ?? `rendered/${args.stack}`) : c.provider === "existing" ? c.renderDirectory : undefined;
    return rel === undefined ? undefined : path.resolve(args.projectRoot, rel);
}

function createCluster(name: string, args: KubernetesClusterArgs, parent: pulumi.ComponentResource) {
    const renderDirectory = renderDirectoryOf(args);
    if (!onAws(args)) {
        const c = args.cluster;
        const provider = new k8s.Provider(
            `${name}-k8s`,
            renderDirectory !== undefined ? { renderYamlToDirectory: renderDirectory } : { context: c.provider === "existing" ? c.context : undefined },
            { parent },
        );
        return { provider, renderDirectory, eksClusterName: undefined, nodeGroupContext: undefined };
    }
    const c = args.cluster;
    const eks = c.create ? createEks(name, c, parent) : existingEks(c.name, parent);
    const kubeconfig = pulumi
        .all([eks.name, eks.endpoint, eks.caData])
        .apply(([clusterName, endpoint, ca]) => eksKubeconfig(clusterName, endpoint, ca, c.region));
    const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig }, { parent });
    const nodeGroupContext: NodeGroupContext = { clusterName: eks.name, nodeRoleArn: createNodeRole(name, parent).arn, subnetIds: c.subnetIds };
    return { provider, renderDirectory: undefined, eksClusterName: eks.name, nodeGroupContext };
}

/** What a managed node group needs from the cluster. */
export interface NodeGroupContext {
    clusterName: pulumi.Input<string>;
    nodeRoleArn: pulumi.Input<string>;
    /** Subnets from config (known at preview, so single-node groups can be spread over zones deterministically). */
    subnetIds: string[];
}

/** EKS worker policies a node role needs (EKS user guide, "Amazon EKS node IAM role"). */
const NODE_POLICIES = ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"];

/** The node role shared by every managed node group; its ARN resolves once the policies are attached, so groups wait for them. */
function createNodeRole(name: string, parent: pulumi.ComponentResource): { arn: pulumi.Output<string> } {
    const role = new aws.iam.Role(
        `${name}-node-role`,
        {
            assumeRolePolicy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
            }),
        },
        { parent },
    );
    const attached = NODE_POLICIES.map(
        (policy) => new aws.iam.RolePolicyAttachment(`${name}-node-${policy}`, { role: role.name, policyArn: `arn:aws:iam::aws:policy/${policy}` }, { parent }),
    );
    return { arn: pulumi.all([role.arn, ...attached.map((a) => a.id)]).apply(([arn]) => arn) };
}

function createEks(name: string, c: EksClusterConfig, parent: pulumi.ComponentResource) {
    const role = new aws.iam.Role(
        `${name}-role`,
        {
            assumeRolePolicy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { Service: "eks.amazonaws.com" }, Action: "sts:AssumeRole" }],
            }),
        },
        { parent },
    );
    const policy = new aws.iam.RolePolicyAttachment(
        `${name}-policy`,
        { role: role.name, policyArn: "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy" },
        { parent },
    );
    const cluster = new aws.eks.Cluster(
        `${name}-eks`,
        {
            name: c.name,
            version: c.kubernetesVersion,
            roleArn: role.arn,
            vpcConfig: { subnetIds: c.subnetIds, endpointPrivateAccess: true, endpointPublicAccess: true },
            accessConfig: { authenticationMode: "API_AND_CONFIG_MAP" },
        },
        // The control plane holds every workload's state: never deleted by a refactor.
        { parent, dependsOn: [policy], protect: true },
    );
    return { name: cluster.name, endpoint: cluster.endpoint, caData: cluster.certificateAuthority.data };
}

function existingEks(clusterName: string, parent: pulumi.ComponentResource) {
    const found = aws.eks.getClusterOutput({ name: clusterName }, { parent });
    return { name: found.name, endpoint: found.endpoint, caData: found.certificateAuthorities[0].data };
}

function eksKubeconfig(clusterName: string, endpoint: string, caData: string, region: string): string {
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: clusterName, cluster: { server: endpoint, "certificate-authority-data": caData } }],
        contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
        "current-context": clusterName,
        users: [
            {
                name: clusterName,
                user: {
                    exec: {
                        apiVersion: "client.authentication.k8s.io/v1beta1",
                        command: "aws",
                        args: ["eks", "get-token", "--cluster-name", clusterName, "--region", region],
                    },
                },
            },
        ],
    });
}
