// The main job on the real engine: `platform preview` and `platform up` of the dev stack — the program inline
// through the Automation API, the policy pack with policies/config/dev.json — pass, write the manifests the
// program registers under mocks, and a second `up` changes nothing. Then growth (one more Flux shard, one more
// storage node) previews as creates and in-place updates only, and `protect` stops a destroy of the Ceph and
// Postgres clusters. The stack is dev's own config with only its render folder moved to a scratch folder; its
// state lives in a temp folder. What happened is read from the engine's events (`--json`).
import * as fs from "node:fs";
import * as path from "node:path";
import { changes, LOCAL_PASSPHRASE, localBackend, PlatformStack, resolveEngine } from "../../cli/engine";
import { PROJECT_ROOT, stackFile } from "../../config/load";
import { isStateful } from "../../policies/rules/safety";
import { runStackOffline, type StackRun } from "../../stacks/offline";
import { manifestOf, schemaErrors, type K8sObject } from "../schema/validate";
import { configOf, eventsOf, expectExit, platform, readManifests, scratch, stepsOf, type CliRun, type Scratch } from "./helpers";

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
        expect(first.out).toContain(`Manifests: ${rel}/ (${manifests.length} files;`);
        expect(first.out).toMatch(/Capacity summary \(used \/ limit\):\n {2}Ceph/);
    });

    it("writes one manifest per Kubernetes object the program registers, each valid against its schema", () => {
        const rendered = manifests.map((m) => m.doc);
        expect(rendered.map(key).sort()).toEqual(k8sObjects(offline).map(key).sort());
        const invalid = rendered.flatMap((o) => schemaErrors(o as K8sObject).map((e) => `${key(o)}: ${e}`));
        expect(invalid).toEqual([]);
    });

    it("renders exactly the objects the mocks saw, field for field", () => {
        const mocked = new Map(k8sObjects(offline).map((o) => [key(o), JSON.parse(JSON.stringify(o))]));
        for (const { doc } of manifests) {
            const m = mocked.get(key(doc));
            expect({ key: key(doc), spec: doc.spec ?? doc.data ?? null }).toEqual({ key: key(doc), spec: m.spec ?? m.data ?? null });
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

    it("one more Flux shard and one more storage node preview as creates and in-place updates, nothing stateful replaced or deleted", async () => {
        const storage = devConfig["media-platform:storage"];
        const last = storage.nodes[storage.nodes.length - 1];
        const grown = {
            ...devConfig,
            "media-platform:flux": { ...devConfig["media-platform:flux"], shards: devConfig["media-platform:flux"].shards + 1 },
            "media-platform:storage": { ...storage, nodes: [...storage.nodes, { ...last, name: "dev-storage-4" }] },
        };
        const run = await platform(["preview", "--stack-file", s.stackFile("dev", grown), "--state-dir", state, "--json"]);
        expectExit(run, 0);
        const steps = stepsOf(run).steps.filter(changes);
        expect(steps.filter((st) => st.op !== "create" && st.op !== "update").map((st) => `${st.op} ${st.urn}`)).toEqual([]);
        expect(steps.filter((st) => st.resource && isStateful(st.resource) && st.op !== "update").map((st) => st.urn)).toEqual([]);
        // The new shard's controllers and the new node are created; the Ceph cluster takes the node in place.
        expect(steps.filter((st) => st.op === "create" && st.type === "kubernetes:apps/v1:Deployment").map((st) => st.name).sort()).toEqual(
            ["helm", "kustomize", "source"].map((c) => `flux-shard-4-${c}-controller`),
        );
        expect(steps.some((st) => st.op === "update" && st.type === "kubernetes:ceph.rook.io/v1:CephCluster")).toBe(true);
    });

    it("protect stops a destroy of the Ceph cluster and the Postgres cluster", async () => {
        const engine = await resolveEngine({ quiet: true });
        const stack = await PlatformStack.open({ stackFile: file, engine, backendUrl: localBackend(state), passphrase: LOCAL_PASSPHRASE, workDir: state });
        const destroy = await stack.destroy();
        expect(destroy.ok).toBe(false);
        // The engine refuses each protected resource it reaches (the pools and filesystem before the cluster that holds them).
        expect(destroy.errors.join("\n")).toMatch(/postgresql\.cnpg\.io\/v1:Cluster::postgres-cluster" cannot be deleted\s+because it is protected/);
        expect(destroy.errors.join("\n")).toMatch(/ceph\.rook\.io\/v1:CephBlockPool::storage-block-pool" cannot be deleted\s+because it is protected/);
        const left = await stack.resourceUrns();
        for (const type of ["kubernetes:ceph.rook.io/v1:CephCluster", "kubernetes:postgresql.cnpg.io/v1:Cluster", "kubernetes:ceph.rook.io/v1:CephBlockPool"]) {
            expect(left.filter((u) => u.includes(`$${type}::`))).toHaveLength(1);
        }
        expect(destroy.steps.filter((st) => st.op === "delete" && st.done && st.resource?.protect)).toEqual([]);
        const outputs = await stack.outputs();
        expect(outputs.renderDirectory).toBe(renderDir);
    });
});
