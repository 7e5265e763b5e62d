// Data safety: stateful resources are protected in Pulumi (outage 5: a delete must never reach tenant data),
// and no secret material sits in plain config or resource inputs.
import { secretShape } from "../../formats/secrets";
import { isUnknown, rule, type PolicyResource } from "../framework";
import { k8sKind, kindOf, metaName, namespaceOf, podSpecOf } from "../k8s";

/** Types whose deletion loses data: Ceph cluster/pools/filesystem/object store, database clusters, buckets, volumes. */
export const STATEFUL_TYPES = [
    "kubernetes:ceph.rook.io/v1:CephCluster",
    "kubernetes:ceph.rook.io/v1:CephBlockPool",
    "kubernetes:ceph.rook.io/v1:CephFilesystem",
    "kubernetes:ceph.rook.io/v1:CephObjectStore",
    "kubernetes:postgresql.cnpg.io/v1:Cluster",
    "kubernetes:objectbucket.io/v1alpha1:ObjectBucketClaim",
    "kubernetes:core/v1:PersistentVolumeClaim",
    "kubernetes:core/v1:PersistentVolume",
    "aws:s3/bucketV2:BucketV2",
    "aws:s3/bucket:Bucket",
];

/** Does deleting this resource lose data? */
export function isStateful(r: PolicyResource, extraTypes: string[] = []): boolean {
    if (STATEFUL_TYPES.includes(r.type) || extraTypes.includes(r.type)) return true;
    // A StatefulSet whose claims are deleted with it (persistentVolumeClaimRetentionPolicy.whenDeleted: Delete).
    return kindOf(r) === "StatefulSet" && r.props?.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted === "Delete";
}

export const statefulProtected = rule<{ extraTypes: string[] }>({
    name: "stateful-resources-protected",
    family: "safety",
    description: "Stateful resources (Ceph cluster, pools and filesystem, database clusters, buckets, volumes) and the namespaces holding them are protected in Pulumi.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
        "Give the resource `protect: true` in its resource options (retainOnDelete alone is invisible to policies and still lets a refactor drop it). A Namespace that holds a database cluster or volumes is protected too: deleting it deletes them. To really delete one, unprotect it in a reviewed change of its own.",
    config: {
        extraTypes: { type: "array", items: { type: "string" }, default: [], description: "More type tokens to treat as stateful." },
    },
    checkStack(resources, config, report) {
        const stateful = resources.filter((r) => isStateful(r, config.extraTypes));
        const holding = new Map<string, string[]>();
        for (const r of stateful) {
            if (!r.protect) report(`${describe(r)} is stateful but not protected: a delete or replace would destroy its data.`, r.urn);
            const ns = k8sKind(r.type) ? namespaceOf(r) : undefined;
            if (ns !== undefined && !isUnknown(ns)) holding.set(ns, [...(holding.get(ns) ?? []), describe(r)]);
        }
        for (const ns of resources.filter((r) => kindOf(r) === "Namespace")) {
            const held = holding.get(metaName(ns));
            if (held && !ns.protect) {
                report(`Namespace ${metaName(ns)} holds ${held.join(", ")} but is not protected: deleting it deletes them.`, ns.urn);
            }
        }
    },
});

function describe(r: PolicyResource): string {
    const k = k8sKind(r.type);
    return k ? `${k.kind} ${namespaceOf(r) ? `${namespaceOf(r)}/` : ""}${metaName(r)}` : `${r.type.split(":").pop()} ${r.name}`;
}

/** Environment variables whose value is a credential (Mastodon's SECRET_KEY_BASE, OTP_SECRET, VAPID_PRIVATE_KEY, …). */
const SECRET_ENV = /(^|_)(PASS(WORD)?|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|SECRET_?KEY(_BASE)?|ACCESS_?KEY|CREDENTIALS?)$/i;
/** Input and config keys whose string value is a credential. */
const SECRET_KEY = /^(password|passwd|secret|token|api[_-]?key|private[_-]?key|secret[_-]?key|secret[_-]?access[_-]?key|access[_-]?key|auth[_-]?token|client[_-]?secret)$/i;
/** Credentials written into config files: `password = x`, `requirepass x`, `masterauth x`. */
const SECRET_LINE = /^\s*(requirepass|masterauth|(\w*[_-])?(password|passwd|secret|token))\s*[:= ]\s*["']?[^\s"'$]{4,}/im;

/** Where in a resource's inputs secret material sits (paths), empty when none. */
export function secretMaterial(r: PolicyResource, allowedKeys: string[] = []): string[] {
    const found: string[] = [];
    const kind = kindOf(r);
    // Kubernetes Secrets are where credentials belong; providers mark their credential inputs secret themselves.
    if (kind === "Secret" || r.type.startsWith("pulumi:providers:")) return found;
    const walk = (v: unknown, path: string, key: string) => {
        if (typeof v === "string") {
            if (isUnknown(v)) return;
            const shape = secretShape(v);
            if (shape) found.push(`${path} holds ${shape}`);
            else if (SECRET_KEY.test(key) && v.length > 0 && !allowedKeys.includes(key)) found.push(`${path} is a credential in plain text`);
            else if (kind === "ConfigMap" && path.startsWith("data.") && SECRET_LINE.test(v)) found.push(`${path} writes a credential into a config file`);
            return;
        }
        if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`, key));
        else if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k, k);
    };
    walk(r.props, "", "");
    // Container env: a credential-named variable with a literal value instead of valueFrom a Secret.
    const spec = podSpecOf(r);
    if (spec && !isUnknown(spec)) {
        for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
            for (const e of c.env ?? []) {
                if (SECRET_ENV.test(e.name) && typeof e.value === "string" && e.value.length > 0 && !isUnknown(e.value) && !allowedKeys.includes(e.name)) {
                    found.push(`container ${c.name} env ${e.name} is a credential in plain text`);
                }
            }
        }
    }
    if (kind === "ConfigMap") {
        for (const [k, v] of Object.entries((r.props.data ?? {}) as Record<string, unknown>)) {
            if (SECRET_ENV.test(k) && typeof v === "string" && v.length > 0 && !isUnknown(v) && !allowedKeys.includes(k)) found.push(`data.${k} is a credential in plain text`);
        }
    }
    return [...new Set(found)];
}

export const noPlainSecrets = rule<{ allowedKeys: string[] }>({
    name: "no-plain-secrets",
    family: "safety",
    description: "No secret material (passwords, tokens, private keys, AWS keys, credentials in URLs) in ConfigMaps, container env values or other resource inputs.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
        "Move the value into a Kubernetes Secret (or a Pulumi secret config value) and reference it: env `valueFrom.secretKeyRef`, a mounted Secret volume, or the operator's credentials-secret field. A URL carries no credential: a Git repository reads its credentials from `secretRef` (flux.tenantsRepository.secretName), an app from its own env. Rotate any credential that was committed.",
    config: {
        allowedKeys: { type: "array", items: { type: "string" }, default: [], description: "Key or variable names known not to hold credentials." },
    },
    checkResource(r, config, report) {
        for (const where of secretMaterial(r, config.allowedKeys)) report(`${r.name}: ${where}.`);
    },
});

export const rules = [statefulProtected, noPlainSecrets];
