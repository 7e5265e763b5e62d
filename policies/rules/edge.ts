// The edge (outage 4): nginx holds the expected peak (each proxied client takes two worker connections) with
// open files to match, and cluster DNS scales with the cluster through cluster-proportional-autoscaler.
import { CLUSTER_CORES_ANNOTATION, CLUSTER_NODES_ANNOTATION } from "../../capacity/labels";
import { dnsBudgets, LINEAR_KEY, parseLinearParams, type LinearParams } from "../../capacity/dns";
import { at, known, rule, type PolicyResource, type RuleBudget } from "../framework";
import { argvOf, containersOf, flagValue, metaName, namespaceOf, numericAnnotation, ofKind, workloads } from "../k8s";

/** A cluster-proportional-autoscaler found in the stack, with what it scales and its linear parameters. */
export interface DnsAutoscaler {
    w: PolicyResource;
    target?: string;
    configMap?: PolicyResource;
    params?: LinearParams;
    /** Why the parameters could not be read. */
    problem?: string;
}

export function dnsAutoscalers(resources: PolicyResource[]): DnsAutoscaler[] {
    const out: DnsAutoscaler[] = [];
    const configMaps = ofKind(resources, "ConfigMap");
    for (const w of workloads(resources)) {
        for (const c of containersOf(w)) {
            if (!/cluster-proportional-autoscaler/.test(c.image ?? "")) continue;
            const argv = argvOf(c);
            const target = flagValue(argv, "--target");
            const cmName = flagValue(argv, "--configmap");
            const found: DnsAutoscaler = { w, target: typeof target === "string" ? target : undefined };
            const cm =
                typeof cmName === "string"
                    ? configMaps.find((m) => metaName(m) === cmName && (namespaceOf(m) ?? "default") === (namespaceOf(w) ?? "default"))
                    : undefined;
            const defaults = flagValue(argv, "--default-params");
            const linear = cm ? known(at(cm.props, `data.${LINEAR_KEY}`), `data.linear of ConfigMap ${cm.name}`) : undefined;
            try {
                if (typeof linear === "string") found.params = parseLinearParams(linear);
                else if (typeof defaults === "string") found.params = parseLinearParams(JSON.stringify(JSON.parse(defaults)[LINEAR_KEY] ?? {}));
                else found.problem = cm ? `ConfigMap ${metaName(cm)} has no "${LINEAR_KEY}" parameters` : `no ConfigMap ${String(cmName ?? "(none given)")} in the stack and no --default-params`;
            } catch (e) {
                found.problem = `its linear parameters are not valid JSON (${(e as Error).message})`;
            }
            found.configMap = cm;
            out.push(found);
        }
    }
    return out;
}

export const dnsAutoscaler = rule<{ targets: string[] }>({
    name: "dns-autoscaler",
    family: "edge",
    description: "Cluster DNS scales with the cluster: a cluster-proportional-autoscaler in linear mode with preventSinglePointFailure targets CoreDNS.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Deploy cluster-proportional-autoscaler (registry.k8s.io/cpa/cluster-proportional-autoscaler) with `--target=deployment/coredns` and a ConfigMap whose `linear` key holds {coresPerReplica, nodesPerReplica, min, max, preventSinglePointFailure: true} (edge.dns in the stack config). Outage 4: kube-dns needed horizontal autoscaling under load.",
    config: {
        targets: {
            type: "array",
            items: { type: "string" },
            default: ["deployment/coredns", "deployment/kube-dns"],
            description: "Autoscaler targets that count as cluster DNS (kind/name, case-insensitive).",
        },
    },
    checkStack(resources, config, report) {
        const all = dnsAutoscalers(resources);
        const dns = all.filter((a) => a.target !== undefined && config.targets.some((t) => t.toLowerCase() === a.target!.toLowerCase()));
        if (dns.length === 0) {
            report(
                all.length === 0
                    ? "No cluster-proportional-autoscaler in the stack: cluster DNS keeps a fixed replica count as the cluster grows."
                    : `The stack's cluster-proportional-autoscalers target ${all.map((a) => a.target ?? "nothing").join(", ")}, not cluster DNS (${config.targets.join(", ")}).`,
            );
            return;
        }
        for (const a of dns) {
            if (a.problem) report(`${metaName(a.w)}: ${a.problem}.`, a.w.urn);
            else if (!a.params!.preventSinglePointFailure) report(`${metaName(a.w)} runs without preventSinglePointFailure: with more than one node DNS could run a single replica.`, a.configMap?.urn ?? a.w.urn);
        }
    },
    budgets(resources) {
        return dnsAutoscalers(resources).flatMap((a): RuleBudget[] => {
            if (!a.params || !a.configMap) return [];
            const nodes = numericAnnotation(a.configMap, CLUSTER_NODES_ANNOTATION);
            const cores = numericAnnotation(a.configMap, CLUSTER_CORES_ANNOTATION);
            if (nodes === undefined || cores === undefined || Number.isNaN(nodes) || Number.isNaN(cores)) return [];
            return dnsBudgets({ nodes, cores }, a.params).map((b) => ({ ...b, urn: a.configMap!.urn }));
        });
    },
});

export const rules = [dnsAutoscaler];
