// The edge (outage 4): nginx holds the expected peak (each proxied client takes two worker connections) with
// open files to match, and cluster DNS scales with the cluster through cluster-proportional-autoscaler.
import { PROXY_FACTS } from "../../contract/facts";
import { dnsBudgets, LINEAR_KEY, parseLinearParams, type LinearParams } from "../../capacity/dns";
import { parseNginxSizing, proxyBudgets, type NginxSizing } from "../../capacity/proxy";
import { at, guarded, known, MissingFact, reportOverBudget, rule, type PolicyResource, type RuleBudget } from "../framework";
import { factsOf, argvOf, containersOf, flagValue, kindOf, metaName, mountedConfigFile, namespaceOf, ofKind, replicasOf, workloads } from "../k8s";
import { nodeGroupsOf } from "./workloads";

/** nginx's compiled-in config path (Debian and the official image). */
export const NGINX_DEFAULT_CONF = "/etc/nginx/nginx.conf";

/** An nginx proxy in the stack: its Deployment, the nginx.conf it runs (from its mounted ConfigMap) and its peak. */
export interface NginxProxy {
    w: PolicyResource;
    replicas: number;
    conf: { file: string; configMap: PolicyResource };
    sizing: NginxSizing;
    peakClients: number;
}

/** Every workload running nginx; throws MissingFact when its config or expected peak is not in the stack. */
export function nginxProxies(resources: PolicyResource[]): NginxProxy[] {
    const out: NginxProxy[] = [];
    for (const w of workloads(resources)) {
        for (const c of containersOf(w)) {
            const argv = argvOf(c);
            const isNginx = argv[0] === "nginx" || /(^|\/)nginx(:|@|$)/.test(c.image ?? "");
            if (!isNginx) continue;
            const conf = flagValue(argv, "-c");
            const file = typeof conf === "string" ? conf : NGINX_DEFAULT_CONF;
            const mounted = mountedConfigFile(w, c, file, resources);
            if (!mounted) throw new MissingFact(`${kindOf(w)} ${metaName(w)} runs nginx with ${file}, which no ConfigMap in the stack provides, so its worker_connections are unknown`);
            const peak = factsOf(PROXY_FACTS, w, "the expected peak of clients is unknown").peakClients;
            out.push({ w, replicas: known(replicasOf(w), `replicas of ${w.name}`) ?? 1, conf: { file, configMap: mounted.configMap }, sizing: parseNginxSizing(mounted.text), peakClients: peak });
        }
    }
    return out;
}

/** The proxy budgets of each nginx: peak × headroom against its client capacity, and its open files. */
export function proxyBudgetsOf(resources: PolicyResource[], headroom: number): RuleBudget[] {
    return nginxProxies(resources).flatMap((p) => {
        const needed = Math.ceil(p.peakClients * headroom);
        const [clients, files] = proxyBudgets(needed, p.replicas, p.sizing);
        return [
            { ...clients, id: `${clients.id}.${metaName(p.w)}`, title: `${metaName(p.w)}: peak ${p.peakClients} clients × ${headroom} headroom against ${clients.title.replace(/^peak concurrent clients against /, "")}`, urn: p.w.urn },
            { ...files, id: `${files.id}.${metaName(p.w)}`, title: `${metaName(p.w)}: ${files.title}`, urn: p.conf.configMap.urn },
        ];
    });
}

const nginxConfig = {
    headroom: { type: "number" as const, minimum: 1, default: 1.25, description: "Multiplier on the expected peak that nginx capacity must cover (default 1.25: config/edge proxy.headroom)." },
};

export const nginxClients = rule<{ headroom: number }>({
    name: "nginx-client-capacity",
    family: "edge",
    description: "nginx holds the expected peak with headroom: replicas × worker_processes × worker_connections ÷ 2 ≥ peak × headroom.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
        "Raise worker_connections (or worker_processes, or proxy replicas) in the generated nginx.conf by raising edge.proxy.peakClients to the real peak; each proxied client holds two connections (its own and the upstream one). Outage 4: nginx logged \"worker_connections are not enough\" at ~400 clients.",
    config: nginxConfig,
    checkStack(resources, config, report) {
        guarded(report, undefined, () =>
            reportOverBudget(
                proxyBudgetsOf(resources, config.headroom).filter((b) => b.id.startsWith("edge.proxy.clients")),
                report,
                (b) => `${b.title}: needs ${b.used} clients, holds ${b.limit}${b.limit === 0 ? " (worker_processes auto or a non-numeric value cannot be counted at preview)" : ""}.`,
            ),
        );
    },
    budgets: (resources, config) => proxyBudgetsOf(resources, config.headroom).filter((b) => b.id.startsWith("edge.proxy.clients")),
});

export const nginxOpenFiles = rule<Record<string, never>>({
    name: "nginx-open-files",
    family: "edge",
    description: "nginx's worker_rlimit_nofile is at least 2 × worker_connections, so a full worker never runs out of file descriptors.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Set worker_rlimit_nofile to at least twice worker_connections in nginx.conf (formats/nginxConf.ts derives it from capacity/proxy nginxSizing).",
    config: {},
    checkStack(resources, _config, report) {
        guarded(report, undefined, () =>
            reportOverBudget(
                proxyBudgetsOf(resources, 1).filter((b) => b.id.startsWith("edge.proxy.open-files")),
                report,
                (b) => `${b.title}: ${b.used} files needed, worker_rlimit_nofile allows ${b.limit === 0 ? "only the inherited limit (unset)" : b.limit}.`,
            ),
        );
    },
    budgets: (resources) => proxyBudgetsOf(resources, 1).filter((b) => b.id.startsWith("edge.proxy.open-files")),
});

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
    description:
        "Cluster DNS scales with the cluster: a cluster-proportional-autoscaler in linear mode with preventSinglePointFailure targets CoreDNS, and its max allows the replicas the cluster's size calls for.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Deploy cluster-proportional-autoscaler (registry.k8s.io/cpa/cluster-proportional-autoscaler) with `--target=deployment/coredns` and a ConfigMap whose `linear` key holds {coresPerReplica, nodesPerReplica, min, max, preventSinglePointFailure: true} (edge.dns in the stack config), with max at least the replicas the cluster's nodes and cores call for (`platform capacity report` shows both). Outage 4: kube-dns needed horizontal autoscaling under load.",
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
            if (a.problem) continue;
            guarded(report, a.configMap?.urn ?? a.w.urn, () =>
                reportOverBudget(dnsReplicaBudgets(a, resources), report, (b) => `${metaName(a.w)}: ${b.title}: ${b.used} needed, the autoscaler stops at ${b.limit}.`),
            );
        }
    },
    budgets(resources) {
        return dnsAutoscalers(resources).flatMap((a): RuleBudget[] => (!a.params || !a.configMap ? [] : dnsReplicaBudgets(a, resources)));
    },
});

/** The replicas budget of one autoscaler, for the cluster's size from the nodes the stack registers: what the autoscaler will count. */
function dnsReplicaBudgets(a: DnsAutoscaler, resources: PolicyResource[]): RuleBudget[] {
    const cm = a.configMap;
    if (!cm) throw new MissingFact(`${metaName(a.w)} reads a ConfigMap the stack does not declare, so the replicas it allows cannot be checked`);
    const nodes = nodeGroupsOf(resources);
    const size = { nodes: nodes.reduce((n, g) => n + g.count, 0), cores: nodes.reduce((n, g) => n + g.count * g.cpu, 0) };
    return dnsBudgets(size, a.params!).map((b) => ({ ...b, urn: cm.urn }));
}

export const rules = [nginxClients, nginxOpenFiles, dnsAutoscaler];
