// FluxShards: Flux's documented sharding (per-shard controllers, Service, sources, root Kustomization),
// lockdown and sizing from config, the main controllers patched, capacity facts on registered resources,
// and a resource count that depends on the shard count only, never on the tenants.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    ARCH_LABEL,
    DEDICATED_TAINT_KEY,
    MAINTENANCE_WINDOW_SECONDS_ANNOTATION,
    MEASURED_CONCURRENCY_ANNOTATION,
    RECONCILE_PER_SECOND_ANNOTATION,
    SHARD_HELM_RELEASES_ANNOTATION,
    SHARD_LABEL,
    SHARD_TENANTS_ANNOTATION,
    ROLE_LABEL,
} from "../../contract/labels";
import { shardRolloutFromFields } from "../../capacity/rollout";
import { argValue, controllerArgs, fluxInstallObjects, fluxShardObjects, LOCKDOWN_FLAGS, MAIN_SELECTOR, type FluxShardsArgs } from "../../components/flux";
import { ConfigError } from "../../config/errors";
import { loadStackFile, stackFile } from "../../config/load";
import { formatRegistry, generateTenants } from "../../tenants/names";
import { runStack, type RegisteredResource } from "../harness";
import { manifestOf, schemaErrors } from "../schema/validate";

const dev = loadStackFile(stackFile("dev"));
const args: FluxShardsArgs = { flux: dev.flux, shardLoads: [{ kustomizations: 4, helmReleases: 9 }], windowSeconds: 3600 };
const objects = fluxShardObjects(args);
const find = (kind: string, name: string) => objects.find((o) => o.manifest.kind === kind && o.manifest.metadata.name === name)!.manifest as any;
const container = (d: any) => d.spec.template.spec.containers[0];

describe("fluxShardObjects", () => {
    it("per shard: three controller Deployments, the source-controller Service, two sources and a root Kustomization", () => {
        expect(objects.map((o) => o.part)).toEqual([
            ...["shard-1", "shard-2", "shard-3"].flatMap((s) => [
                `${s}-source-controller`,
                `${s}-kustomize-controller`,
                `${s}-helm-controller`,
                `${s}-source-controller-service`,
                `${s}-tenants-repository`,
                `${s}-chart-repository`,
                `${s}-root`,
            ]),
        ]);
    });

    it("every object validates against the Flux CRDs and the Kubernetes schema", () => {
        expect(objects.flatMap((o) => schemaErrors(o.manifest))).toEqual([]);
    });

    it("shard controllers watch only their shard's label; source-controller advertises its own Service", () => {
        const source = container(find("Deployment", "source-controller-shard-2"));
        expect(argValue(source.args, "--watch-label-selector")).toBe(`${SHARD_LABEL}=shard-2`);
        expect(argValue(source.args, "--storage-adv-addr")).toBe("source-controller-shard-2.$(RUNTIME_NAMESPACE).svc.cluster.local.");
        const svc = find("Service", "source-controller-shard-2");
        expect(svc.spec.selector).toEqual({ app: "source-controller-shard-2" });
        expect(find("Deployment", "source-controller-shard-2").spec.template.metadata.labels.app).toBe("source-controller-shard-2");
        for (const c of ["kustomize", "helm"]) expect(argValue(container(find("Deployment", `${c}-controller-shard-2`)).args, "--watch-label-selector")).toBe(`${SHARD_LABEL}=shard-2`);
    });

    it("lockdown flags, concurrency and resources from config; images from the one Flux version", () => {
        const k = container(find("Deployment", "kustomize-controller-shard-1"));
        const h = container(find("Deployment", "helm-controller-shard-1"));
        const s = container(find("Deployment", "source-controller-shard-1"));
        for (const flag of LOCKDOWN_FLAGS.kustomize) expect(k.args).toContain(flag);
        for (const flag of LOCKDOWN_FLAGS.helm) expect(h.args).toContain(flag);
        expect(k.args).toEqual(expect.arrayContaining(["--no-cross-namespace-refs=true", "--no-remote-bases=true", "--default-service-account=default", "--concurrent=20"]));
        expect(h.args).toEqual(expect.arrayContaining(["--no-cross-namespace-refs=true", "--default-service-account=default", "--concurrent=10"]));
        // Limits carry the rollout (the model counts them); requests are Flux's small defaults. The dev stack
        // sizes its shard controllers down to 0.25 CPU / 512 MiB.
        expect(k.resources).toEqual({ requests: { cpu: "0.1", memory: "64Mi" }, limits: { cpu: "0.25", memory: "512Mi" } });
        expect([s.image, k.image, h.image]).toEqual(["ghcr.io/fluxcd/source-controller:v1.9.4", "ghcr.io/fluxcd/kustomize-controller:v1.9.4", "ghcr.io/fluxcd/helm-controller:v1.6.3"]);
    });

    it("shard controllers run on the given role's nodes (tolerating its taint), else on any undedicated node; amd64 or arm64", () => {
        const onGeneral = fluxShardObjects({ ...args, role: "general" });
        const spec = (objs: typeof objects, name: string) => (objs.find((o) => o.manifest.metadata.name === name)!.manifest as any).spec.template.spec;
        for (const c of ["source", "kustomize", "helm"]) {
            const s = spec(onGeneral, `${c}-controller-shard-2`);
            expect(s.nodeSelector).toEqual({ [ROLE_LABEL]: "general" });
            expect(s.tolerations).toEqual([{ key: DEDICATED_TAINT_KEY, operator: "Equal", value: "general", effect: "NoSchedule" }]);
            expect(s.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([{ matchExpressions: [{ key: ARCH_LABEL, operator: "In", values: ["amd64", "arm64"] }] }]);
        }
        const anywhere = spec(objects, "helm-controller-shard-1");
        expect(anywhere.nodeSelector).toBeUndefined();
        expect(anywhere.tolerations).toBeUndefined();
        expect(onGeneral.flatMap((o) => schemaErrors(o.manifest))).toEqual([]);
    });

    it("kustomize-controller builds in a tmpfs /tmp", () => {
        const d = find("Deployment", "kustomize-controller-shard-1");
        expect(d.spec.template.spec.volumes).toEqual([{ name: "temp", emptyDir: { medium: "Memory" } }]);
        expect(container(d).volumeMounts).toEqual([{ name: "temp", mountPath: "/tmp" }]);
    });

    it("sources and the root Kustomization carry the shard label and point at the shard's folder of the tree", () => {
        const git = find("GitRepository", "tenants-shard-3");
        const chart = find("HelmRepository", "tenant-apps-shard-3");
        const root = find("Kustomization", "tenants-shard-3");
        for (const o of [git, chart, root]) expect(o.metadata.labels).toEqual({ [SHARD_LABEL]: "shard-3" });
        expect(git.spec).toMatchObject({ url: dev.flux.tenantsRepository.url, ref: { branch: "main" }, sparseCheckout: ["gitops/dev"] });
        expect(chart.spec).toMatchObject({ type: "oci", url: "oci://ghcr.io/media-platform/charts" });
        expect(root.spec).toMatchObject({ path: "./gitops/dev/shards/shard-3", sourceRef: { kind: "GitRepository", name: "tenants-shard-3" }, prune: true, deletionPolicy: "Orphan", serviceAccountName: "kustomize-controller" });
    });

    it("the installation's main controllers are whole Deployments that ignore sharded objects, keeping the lockdown", () => {
        const install = fluxInstallObjects(dev.flux, "general");
        for (const c of ["source", "kustomize", "helm"] as const) {
            const d = install.find((o) => o.manifest.kind === "Deployment" && o.manifest.metadata.name === `${c}-controller`)!.manifest as any;
            const args = container(d).args;
            expect(argValue(args, "--watch-label-selector")).toBe(MAIN_SELECTOR);
            expect(MAIN_SELECTOR).toBe("!sharding.fluxcd.io/key");
            expect(args).toEqual(expect.arrayContaining([...LOCKDOWN_FLAGS[c]]));
            // Owned, not patched: a whole Deployment with its image, selector and template labels.
            expect(d.metadata.annotations).toBeUndefined();
            expect(container(d).image).toMatch(/^ghcr\.io\/fluxcd\//);
            expect(d.spec.selector.matchLabels).toEqual({ app: `${c}-controller` });
            expect(d.spec.template.metadata.labels.app).toBe(`${c}-controller`);
            expect(d.spec.template.spec.serviceAccountName).toBe(`${c}-controller`);
        }
        expect(argValue(controllerArgs("source", { selector: MAIN_SELECTOR, serviceName: "source-controller" }), "--storage-adv-addr")).toBe("source-controller.$(RUNTIME_NAMESPACE).svc.cluster.local.");
        expect(install.map((o) => `${o.manifest.kind}/${o.manifest.metadata.name}`)).toEqual([
            "Namespace/flux-system",
            "ResourceQuota/critical-pods-flux-system",
            "ServiceAccount/source-controller",
            "ServiceAccount/kustomize-controller",
            "ServiceAccount/helm-controller",
            "ClusterRole/crd-controller-flux-system",
            "ClusterRoleBinding/crd-controller-flux-system",
            "ClusterRoleBinding/cluster-reconciler-flux-system",
            "Deployment/source-controller",
            "Deployment/kustomize-controller",
            "Deployment/helm-controller",
            "Service/source-controller",
        ]);
        expect(install.flatMap((o) => schemaErrors(o.manifest))).toEqual([]);
    });

    it("each root Kustomization carries its shard's capacity facts; the rollout is what the policy pack recomputes from the fields", () => {
        const root = find("Kustomization", "tenants-shard-1");
        const a = root.metadata.annotations;
        expect(a[SHARD_TENANTS_ANNOTATION]).toBe("4");
        expect(a[SHARD_HELM_RELEASES_ANNOTATION]).toBe("9");
        expect(a[MAINTENANCE_WINDOW_SECONDS_ANNOTATION]).toBe("3600");
        const k = find("Deployment", "kustomize-controller-shard-1");
        const h = find("Deployment", "helm-controller-shard-1");
        const fields = (d: any) => ({
            concurrency: Number(argValue(container(d).args, "--concurrent")),
            cpu: Number(container(d).resources.limits.cpu),
            measured: { perSecond: Number(d.metadata.annotations[RECONCILE_PER_SECOND_ANNOTATION]), concurrency: Number(d.metadata.annotations[MEASURED_CONCURRENCY_ANNOTATION]), cpu: 2 },
        });
        const seconds = shardRolloutFromFields({ tenants: 4, helmReleases: 9, kustomize: fields(k), helm: fields(h) });
        // At an eighth of the benchmark's 2 CPU each, a Kustomization costs 2 s and a HelmRelease 4 s.
        expect(seconds).toBe(4 * 2 + 9 * 4);
        // A shard without tenants is declared (empty), with zero load.
        expect(find("Kustomization", "tenants-shard-2").metadata.annotations[SHARD_TENANTS_ANNOTATION]).toBe("0");
    });

});

let resources: RegisteredResource[];
beforeAll(async () => {
    resources = (await runStack("dev")).resources;
});

describe("FluxShards in the dev stack, under mocks", () => {
    const fluxChildren = () => resources.filter((r) => r.name.startsWith("flux-shard-") && r.custom);

    it("registers the component and its children, named flux-<part>, parented to it, on the cluster's provider", () => {
        const component = resources.filter((r) => r.type === "media-platform:flux:FluxShards");
        expect(component).toHaveLength(1);
        expect(fluxChildren()).toHaveLength(3 * 7);
        for (const r of fluxChildren()) {
            expect(r.parent).toBe(component[0].urn);
            expect(r.provider).toMatch(/pulumi:providers:kubernetes::platform-k8s::/);
        }
        expect(new Set(fluxChildren().map((r) => r.type))).toEqual(
            new Set(["kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Service", "kubernetes:source.toolkit.fluxcd.io/v1:GitRepository", "kubernetes:source.toolkit.fluxcd.io/v1:HelmRepository", "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization"]),
        );
    });

    it("the dev stack places the shard controllers on its general pool", () => {
        const controllers = fluxChildren().filter((r) => r.type === "kubernetes:apps/v1:Deployment");
        expect(controllers).toHaveLength(9);
        for (const d of controllers) expect(d.inputs.spec.template.spec.nodeSelector).toEqual({ [ROLE_LABEL]: "general" });
    });

    it("registered inputs validate and carry the plan of the dev registry and its lock", () => {
        for (const r of fluxChildren()) expect(schemaErrors(manifestOf(r.inputs))).toEqual([]);
        const roots = fluxChildren().filter((r) => r.type.endsWith("Kustomization"));
        const tenants = roots.map((r) => Number(r.inputs.metadata.annotations[SHARD_TENANTS_ANNOTATION]));
        expect(tenants.reduce((a, b) => a + b, 0)).toBe(10);
        const lock = fs.readFileSync(path.join(__dirname, "../../tenants/registries/dev.lock.yaml"), "utf8");
        expect(tenants).toEqual([1, 2, 3].map((i) => (lock.match(new RegExp(`: shard-${i}$`, "gm")) ?? []).length));
    });
});

describe("the stack's resource count does not grow with tenants", () => {
    it("10 or 600 tenants: the same resources", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "registry-"));
        const big = path.join(dir, "big.yaml");
        fs.writeFileSync(big, formatRegistry(generateTenants({ count: 600, seed: 5, plans: [["basic", 3], ["plus", 1]] }), ["600 tenants"]));
        const run = await runStack("dev", { mutate: (c) => (c["media-platform:tenants"].registry = big) });
        expect(run.resources.map((r) => r.urn).sort()).toEqual(resources.map((r) => r.urn).sort());
        const root = run.resources.find((r) => r.name === "flux-shard-1-root")!;
        expect(Number(root.inputs.metadata.annotations[SHARD_TENANTS_ANNOTATION])).toBeGreaterThan(150);
    });

    it("a bad registry stops the stack before anything is registered", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "registry-"));
        const bad = path.join(dir, "bad.yaml");
        fs.writeFileSync(bad, "tenants:\n  - name: Kube-System\n");
        const registered: RegisteredResource[] = [];
        await expect(runStack("dev", { registered, mutate: (c) => (c["media-platform:tenants"].registry = bad) })).rejects.toThrow(ConfigError);
        expect(registered).toEqual([]);
    });
});
