// Checks that span sections: references that must resolve and combinations that cannot work.
// Capacity limits are not checked here: the policy pack judges those, so an outage can still be replayed.
import type { ConfigProblem } from "./errors";
import { renderValue } from "./errors";
import type { PlatformConfig } from "./schema";
import { nodePoolProblems } from "./nodePools";
import { storageProblems } from "./storage";
import { tenantsProblems } from "./tenants";

function duplicates(names: string[]): Map<string, number[]> {
    const seen = new Map<string, number[]>();
    names.forEach((n, i) => seen.set(n, [...(seen.get(n) ?? []), i]));
    return new Map([...seen].filter(([, idx]) => idx.length > 1));
}

export function crossSectionProblems(cfg: PlatformConfig): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    const add = (path: string, message: string) => out.push({ path, message });
    const onAws = cfg.cluster.provider === "eks";

    for (const [name, idx] of duplicates(cfg.nodePools.map((p) => p.name))) {
        for (const i of idx.slice(1)) add(`nodePools[${i}].name`, `expected a unique pool name, got ${renderValue(name)} (also nodePools[${idx[0]}])`);
    }
    const nodeNames = [
        ...cfg.storage.nodes.map((n, i) => ({ name: n.name, path: `storage.nodes[${i}].name` })),
        ...cfg.nodePools.flatMap((p, i) => (p.kind === "baremetal" ? p.nodes.map((n, j) => ({ name: n.name, path: `nodePools[${i}].nodes[${j}].name` })) : [])),
    ];
    for (const [name, idx] of duplicates(nodeNames.map((n) => n.name))) {
        for (const i of idx.slice(1)) add(nodeNames[i].path, `expected a unique node name, got ${renderValue(name)} (also ${nodeNames[idx[0]].path})`);
    }
    cfg.nodePools.forEach((p, i) => {
        if (p.kind === "aws") {
            if (!onAws) add(`nodePools[${i}].kind`, `expected "baremetal" unless cluster.provider is "eks", got "aws"`);
            if (!(p.size.min <= p.size.desired && p.size.desired <= p.size.max)) {
                add(`nodePools[${i}].size`, `expected min ≤ desired ≤ max, got ${p.size.min} / ${p.size.desired} / ${p.size.max}`);
            }
        }
    });
    cfg.storage.nodes.forEach((n, i) => {
        if (n.instanceType !== undefined && !onAws) add(`storage.nodes[${i}].instanceType`, `expected bare-metal hardware unless cluster.provider is "eks", got ${renderValue(n.instanceType)}`);
    });
    out.push(...nodePoolProblems(cfg.nodePools), ...storageProblems(cfg.storage, onAws));
    if (cfg.storage.network.provider === "multus" && !cfg.storage.network.publicNetwork) {
        add("storage.network.publicNetwork", "expected a NetworkAttachmentDefinition when network.provider is multus, got nothing");
    }

    const queueNames = new Set(cfg.workloads.queues.map((q) => q.name));
    cfg.workloads.workers.forEach((w, i) =>
        w.queues.forEach((q, j) => {
            if (!queueNames.has(q)) add(`workloads.workers[${i}].queues[${j}]`, `expected a queue listed in workloads.queues, got ${renderValue(q)}`);
        }),
    );
    for (const [name, idx] of duplicates(cfg.workloads.workers.map((w) => w.name))) {
        for (const i of idx.slice(1)) add(`workloads.workers[${i}].name`, `expected a unique worker name, got ${renderValue(name)}`);
    }
    // An amd64-only image cannot start on an arm64 node (exec format error): only a multi-arch image may go there.
    if (!cfg.workloads.image.multiArch) {
        cfg.workloads.workers.forEach((w, i) => {
            if (w.archs.includes("arm64")) add(`workloads.workers[${i}].archs`, `expected only "amd64" unless workloads.image.multiArch is true, got ${JSON.stringify(w.archs)}`);
        });
    }

    if (cfg.edge.dns.min > cfg.edge.dns.max) add("edge.dns.min", `expected min ≤ max (${cfg.edge.dns.max}), got ${cfg.edge.dns.min}`);

    const backup = cfg.data.postgres.backup;
    if (backup?.target === "media" && cfg.media.provider !== "rgw") {
        add("data.postgres.backup.target", 'expected "s3" with credentials of its own when media.provider is "s3" (the media writer may write only tenants/), got "media"');
    }
    if (backup?.target === "s3") {
        if (!backup.destinationPath) add("data.postgres.backup.destinationPath", "expected an object store path such as s3://pg-backups/media when target is s3, got nothing");
        if (!backup.credentialsSecret) add("data.postgres.backup.credentialsSecret", "expected the Secret holding the store's keys when target is s3, got nothing");
    }
    if (backup?.target === "media") {
        for (const k of ["destinationPath", "endpointURL", "credentialsSecret"] as const) {
            if (backup[k] !== undefined) add(`data.postgres.backup.${k}`, `expected nothing when target is media (the media bucket gives it), got ${renderValue(backup[k])}`);
        }
    }
    if (cfg.media.provider === "s3") {
        if (!onAws) add("media.provider", `expected "rgw" unless cluster.provider is "eks", got "s3"`);
        if (!cfg.media.region) add("media.region", "expected an AWS region for an s3 bucket, got nothing");
    } else if (!cfg.storage.objectStore.enabled) {
        add("storage.objectStore.enabled", "expected true when media.provider is rgw (media lives on the Ceph object store), got false");
    }
    if (cfg.media.cdn.provider === "cloudflare") {
        const zone = cfg.media.cdn.zone;
        if (!zone) add("media.cdn.zone", "expected the Cloudflare zone name when cdn.provider is cloudflare, got nothing");
        else if (cfg.media.hostname !== zone && !cfg.media.hostname.endsWith(`.${zone}`)) {
            add("media.hostname", `expected a hostname inside the zone ${zone}, got ${renderValue(cfg.media.hostname)}`);
        }
    }
    if (Object.keys(cfg.tenants.plans).length === 0) add("tenants.plans", "expected at least one plan, got none");
    out.push(...tenantsProblems(cfg.tenants));
    return out;
}
