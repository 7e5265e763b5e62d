// Where pods go and how they are checked: node role and arch, tolerations of dedicated pools, probes and
// resources. Plain objects (no Pulumi), shared by the data, workloads and edge components.
import { IMAGE_FACTS } from "../../contract/facts";
import * as crypto from "node:crypto";
import { ARCH_LABEL, DEDICATED_TAINT_KEY, HOSTNAME_LABEL, ROLE_LABEL, TIER_LABEL } from "../../contract/labels";
import type { Arch } from "../../capacity/instances";

/** nodeSelector, tolerations and node affinity for pods of a role (undefined: any non-dedicated node) and archs. */
export function placement(role: string | undefined, archs: readonly Arch[]) {
    return {
        ...(role ? { nodeSelector: { [ROLE_LABEL]: role } } : {}),
        // Dedicated pools are tainted with their role; the role's own pods tolerate it.
        ...(role ? { tolerations: [{ key: DEDICATED_TAINT_KEY, operator: "Equal", value: role, effect: "NoSchedule" }] } : {}),
        affinity: {
            nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                    nodeSelectorTerms: [{ matchExpressions: [{ key: ARCH_LABEL, operator: "In", values: [...archs] }] }],
                },
            },
        },
    };
}

/** The pod-template annotation saying whether the pod's image is multi-arch (rules check it against arm64 affinity). */
export const multiArchAnnotation = (multiArch: boolean) => IMAGE_FACTS.encode({ multiArch });

/** A required pod anti-affinity term: never on the same node as pods of these tiers. */
export function awayFromTiers(tiers: string[]) {
    return {
        labelSelector: { matchExpressions: [{ key: TIER_LABEL, operator: "In", values: tiers }] },
        topologyKey: HOSTNAME_LABEL,
    };
}

/** Memory request = limit (no overcommit: the outage ran out of RAM), CPU request only. */
export function podResources(memoryMiB: number, cpu: number) {
    return { requests: { memory: `${memoryMiB}Mi`, cpu: `${Math.round(cpu * 1000)}m` }, limits: { memory: `${memoryMiB}Mi` } };
}

type ProbeAction = { httpGet: { path: string; port: number | string } } | { exec: { command: string[] } } | { tcpSocket: { port: number | string } };

/**
 * Readiness checks often; liveness tolerates a slow minute before a restart; a startup probe gives a slow
 * boot (Rails loads for tens of seconds) up to five minutes before liveness starts counting.
 */
export function probes(readiness: ProbeAction, liveness: ProbeAction = readiness) {
    return {
        startupProbe: { ...readiness, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 30 },
        readinessProbe: { ...readiness, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
        livenessProbe: { ...liveness, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 },
    };
}

/** Standard labels plus the tier label policies select on. */
export function tierLabels(name: string, tier: string): Record<string, string> {
    return { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "media-platform", [TIER_LABEL]: tier };
}

/** A full image reference. */
export const imageRef = (i: { repository: string; tag: string }) => `${i.repository}:${i.tag}`;

/** Short hash of a mounted config file, put on the pod template so a config change rolls the pods. */
export const configHash = (text: string) => crypto.createHash("sha256").update(text).digest("hex").slice(0, 16);
