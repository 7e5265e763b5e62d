// The main job on the real engine: `platform preview` and `platform up` of the dev stack — the program inline
// through the Automation API, the policy pack with policies/config/dev.json — pass, write the manifests the
// program registers under mocks, and a second `up` changes nothing. The stack is dev's own config with only its
// render folder moved to a scratch folder; its state lives in a temp folder. What happened is read from the
// engine's events (`--json`). The manifests it renders are then applied to an empty API server as the README says.
// Growth, protect and the replays run against a real API server (cluster.e2e.ts).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { MAIN_WATCH_SELECTOR } from "../../contract/labels";
import { changes } from "../../cli/engine";
import { PROJECT_ROOT, stackFile } from "../../config/load";
import { cpuCores, memoryMiB } from "../../policies/k8s";
import { runStackOffline, type StackRun } from "../../stacks/offline";
import { manifestOf, schemaErrors, type K8sObject } from "../schema/validate";
import { kubeBinaries, startApiServer, type ApiServer } from "./apiServer";
import { APPLY_SCRIPT, configOf, eventsOf, expectExit, platform, readManifests, scratch, SSA, stepsOf, type CliRun, type Scratch } from "./helpers";

let s: Scratch;
let file: string;
let state: string;
let renderDir: string;
let offline: StackRun;
let devConfig: Record<string, any>;

beforeAll(async () => {
    s = scratch();
    devConfig = configOf(stackFile("dev"));
    const renderRel = path.join(s.renderRoot, "rendered", "dev");
    devConfig["media-platform:cluster"] = { ...devConfig["media-platform:cluster"], directory: renderRel };
    file = s.stackFile("dev", devConfig);
    state = path.join(s.dir, "state");
    renderDir = path.join(PROJECT_ROOT, renderRel);
    offline = await runStackOffline(file, { preview: true });
});
afterAll(() => s?.remove());

/** Kubernetes objects the program registers (not providers), as "apiVersion kind namespace/name". */
const key = (o: Record<string, any>) => `${o.apiVersion} ${o.kind} ${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;
/** Fields whose values are Kubernetes quantities, by field or by the object holding them. */
const QUANTITY_FIELDS = new Set(["storage", "sizeLimit"]);
const QUANTITY_HOLDERS = new Set(["limits", "requests", "hard"]);

/**
 * An object as the provider writes it: quantities canonical (0.25 CPU as 250m, 1024Mi as 1Gi, 1000 as 1k) and
 * empty strings left out (Kubernetes' omitempty); here quantities as numbers, and empty strings dropped.
 */
function canonical(o: unknown, field = "", holder = ""): any {
    if (Array.isArray(o)) return o.map((v) => canonical(v, "", holder));
    if (o !== null && typeof o === "object") {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(o)) if (v !== "" && v !== undefined) out[k] = canonical(v, k, field);
        return out;
    }
    if (typeof o !== "string" && typeof o !== "number") return o;
    if (field === "cpu") return cpuCores(o);
    return QUANTITY_FIELDS.has(field) || QUANTITY_HOLDERS.has(holder) ? memoryMiB(o) : o;
}
const k8sObjects = (run: StackRun) => run.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:")).map((r) => manifestOf(r.inputs));

it("preview with the policy pack passes, plans exactly the resources the program registers under mocks, and writes nothing", async () => {
    const md = path.join(s.dir, "preview-dev.md");
    const run = await platform(["preview", "--stack-file", file, "--state-dir", state, "--markdown", md, "--json"]);
    expectExit(run, 0);
    const events = eventsOf(run);
    // The pack ran: the engine's summary names it.
    // (The engine writes the field as PolicyPacks; keys are "<pack>|local|<folder>".)
    const summary = events.find((e) => e.summaryEvent)?.summaryEvent as Record<string, any> | undefined;
    expect(Object.keys(summary?.PolicyPacks ?? summary?.policyPacks ?? {}).map((k) => k.split("|")[0])).toContain("media-platform");
    expect(events.filter((e) => e.policyEvent?.enforcementLevel === "mandatory")).toEqual([]);
    // The engine adds the stack resource itself and the default provider, which the mocks do not register.
    const steps = stepsOf(run).steps;
    expect(steps.every((st) => st.op === "create")).toBe(true);
    const urns = new Set(steps.map((st) => st.urn));
    expect(offline.resources.filter((r) => !urns.has(r.urn)).map((r) => r.urn)).toEqual([]);
    expect(steps.length - offline.resources.length).toBeGreaterThanOrEqual(1);
    expect(steps.length - offline.resources.length).toBeLessThanOrEqual(2);
    const comment = fs.readFileSync(md, "utf8");
    expect(comment).toContain("### `dev` — ✅ preview passed");
    expect(comment).toContain(`${steps.length} to create`);
    expect(comment).toContain("policies/config/dev.json");
    expect(fs.existsSync(renderDir)).toBe(false);
});

describe("up", () => {
    let first: CliRun;
    let manifests: ReturnType<typeof readManifests>;
    beforeAll(async () => {
        first = await platform(["up", "--yes", "--stack-file", file, "--state-dir", state]);
        expectExit(first, 0);
        manifests = readManifests(renderDir);
    });

    it("ends by printing what it created, where the manifests are and the capacity summary", () => {
        const rel = path.relative(PROJECT_ROOT, renderDir);
        expect(first.out).toMatch(/^dev: \d+ created \(pulumi up, \d+ s, policy config policies\/config\/dev\.json\)$/m);
        expect(first.out).toContain(`Manifests: ${rel}/ (${new Set(manifests.map((m) => m.file)).size} files)`);
        expect(first.out).toMatch(/^Capacity: \d+ budgets — 0 OVER, \d+ near .*\nstorage-node-baseline-bandwidth\n {2}Ceph/m);
    });

    it("writes one manifest per Kubernetes object the program registers, each valid against its schema", () => {
        const rendered = manifests.map((m) => m.doc);
        expect(rendered.map(key).sort()).toEqual(k8sObjects(offline).map(key).sort());
        const invalid = rendered.flatMap((o) => schemaErrors(o as K8sObject).map((e) => `${key(o)}: ${e}`));
        expect(invalid).toEqual([]);
    });

    it("renders exactly the objects the mocks saw, field for field (in the provider's canonical form)", () => {
        const mocked = new Map(k8sObjects(offline).map((o) => [key(o), canonical(o)]));
        for (const { doc } of manifests) {
            const m = mocked.get(key(doc));
            expect({ key: key(doc), spec: canonical(doc).spec ?? doc.data ?? null }).toEqual({ key: key(doc), spec: m.spec ?? m.data ?? null });
        }
        const [ceph] = manifests.map((m) => m.doc).filter((d) => d.kind === "CephCluster");
        expect(ceph.spec.storage.nodes.map((n: { name: string }) => n.name)).toEqual(["dev-storage-1", "dev-storage-2", "dev-storage-3"]);
    });

    it("a second run changes nothing", async () => {
        const second = await platform(["up", "--yes", "--stack-file", file, "--state-dir", state, "--json"]);
        expectExit(second, 0);
        const steps = stepsOf(second).steps;
        expect(steps.filter(changes).map((st) => `${st.op} ${st.urn}`)).toEqual([]);
        expect(steps.length).toBeGreaterThan(manifests.length);
        expect(second.out).toMatch(new RegExp(`^dev: ${steps.length} unchanged \\(pulumi up`, "m"));
    });

    it("--expect-no-changes passes on it, and fails with exit 4 on a change", async () => {
        const same = await platform(["preview", "--stack-file", file, "--state-dir", state, "--expect-no-changes"]);
        expectExit(same, 0);
        const changed = s.stackFile("dev", { ...devConfig, "media-platform:maintenanceWindow": "90m" });
        const drift = await platform(["preview", "--stack-file", changed, "--state-dir", state, "--expect-no-changes"]);
        expectExit(drift, 4);
    });

    describe("on an empty API server", () => {
        let server: ApiServer;
        let bin: string;
        beforeAll(async () => {
            bin = kubeBinaries();
            server = await startApiServer(bin);
            process.stderr.write(`API server ready in ${server.readySeconds.toFixed(1)} s\n`);
        });
        afterAll(() => server?.stop());

        it("apply as the README says: CRDs, namespaces, then the rest, with 0 refused", () => {
            const r = spawnSync(APPLY_SCRIPT, [renderDir], { encoding: "utf8", env: { ...process.env, KUBECTL: path.join(bin, "kubectl"), KUBECONFIG: server.kubeconfig } });
            expect({ code: r.status, refused: `${r.stdout}${r.stderr}`.split("\n").filter((l) => /error|refused|invalid|denied|not found/i.test(l)) }).toEqual({ code: 0, refused: [] });
            const applied = `${r.stdout}`.split("\n").filter((l) => / serverside-applied$/.test(l));
            const files = fs.readdirSync(renderDir, { recursive: true }).filter((f) => String(f).endsWith(".yaml"));
            // Every object of every file, once (namespaces twice: first alone, then with the rest).
            expect(applied.length).toBeGreaterThanOrEqual(files.length);
            expect(server.kubectl(["get", "cephclusters.ceph.rook.io", "-n", "rook-ceph", "-o", "name"]).out.trim()).toBe("cephcluster.ceph.rook.io/rook-ceph");
            expect(server.kubectl(["get", "clusters.postgresql.cnpg.io", "-n", "media-app", "-o", "name"]).out.trim()).toBe("cluster.postgresql.cnpg.io/postgres");
        });

        it("Flux's main controllers keep their shard selector when Flux reconciles everything it owns", () => {
            const selector = () =>
                ["source", "kustomize", "helm"].map((c) => {
                    const d = JSON.parse(server.kubectl(["get", "deployment", `${c}-controller`, "-n", "flux-system", "-o", "json"]).out);
                    return d.spec.template.spec.containers[0].args.find((a: string) => a.startsWith("--watch-label-selector="));
                });
            expect(selector()).toEqual(Array(3).fill(`--watch-label-selector=${MAIN_WATCH_SELECTOR}`));
            // What Flux reconciles here: the shards' root Kustomizations apply the shard folders of the tenant tree,
            // and those the tenants' folders. Replay that apply as kustomize-controller, forcing every conflict.
            const tree = path.join(PROJECT_ROOT, "gitops", "dev");
            const kustomizationFiles = fs.readdirSync(path.join(tree, "shards")).map((d) => path.join(tree, "shards", d, "tenants.yaml"));
            const tenantFiles = fs.readdirSync(path.join(tree, "tenants")).map((d) => path.join(tree, "tenants", d, "tenant.yaml"));
            const owned = [...kustomizationFiles, ...tenantFiles].flatMap((f) => YAML.parseAllDocuments(fs.readFileSync(f, "utf8")).map((d) => d.toJS()));
            // None of it is Flux itself: no Flux controller is in any inventory, so no reconcile re-applies one.
            expect(owned.filter((o) => o.kind === "Deployment" && o.metadata?.namespace === "flux-system")).toEqual([]);
            const r = server.kubectl([...SSA, "--field-manager=kustomize-controller", "--force-conflicts", "-f", "-"], owned.map((o) => YAML.stringify(o)).join("---\n"));
            expect(r.code).toBe(0);
            expect(selector()).toEqual(Array(3).fill(`--watch-label-selector=${MAIN_WATCH_SELECTOR}`));
            // Why the stack owns Flux: a bootstrapped Flux re-applying its own controller (no selector) takes the whole
            // args list back from a selector patched in by someone else.
            const d = JSON.parse(server.kubectl(["get", "deployment", "kustomize-controller", "-n", "flux-system", "-o", "json"]).out);
            const upstream = {
                apiVersion: "apps/v1",
                kind: "Deployment",
                metadata: { name: "kustomize-controller", namespace: "flux-system" },
                spec: { template: { spec: { containers: [{ name: "manager", args: d.spec.template.spec.containers[0].args.filter((a: string) => !a.startsWith("--watch-label-selector=")) }] } } },
            };
            expect(server.kubectl([...SSA, "--field-manager=flux-bootstrap", "--force-conflicts", "-f", "-"], JSON.stringify(upstream)).code).toBe(0);
            expect(selector()[1]).toBeUndefined();
        });

    });
});
