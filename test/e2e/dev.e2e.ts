// The main job on the real engine: `platform preview` and `platform up` of the dev stack — pulumi with the policy
// pack and policies/config/dev.json — pass, write the manifests the program registers, and a second `up` changes
// nothing. The stack is dev's own config with only its render folder moved to a scratch folder; its state lives
// in a temp folder.
import * as fs from "node:fs";
import * as path from "node:path";
import { changeCounts } from "../../cli/engine";
import { PROJECT_ROOT, stackFile } from "../../config/load";
import { runStackOffline, type StackRun } from "../../stacks/offline";
import { manifestOf, schemaErrors, type K8sObject } from "../schema/validate";
import { configOf, expectExit, platform, readManifests, scratch, type Scratch } from "./helpers";

let s: Scratch;
let file: string;
let state: string;
let renderDir: string;
let offline: StackRun;

beforeAll(async () => {
    s = scratch();
    const config = configOf(stackFile("dev"));
    const renderRel = path.join(s.renderRoot, "rendered", "dev");
    config["media-platform:cluster"] = { ...config["media-platform:cluster"], directory: renderRel };
    file = s.stackFile("dev", config);
    state = path.join(s.dir, "state");
    renderDir = path.join(PROJECT_ROOT, renderRel);
    offline = await runStackOffline(file, { preview: true });
});
afterAll(() => s?.remove());

/** Kubernetes objects the program registers (not providers), as "apiVersion kind namespace/name". */
const key = (o: Record<string, any>) => `${o.apiVersion} ${o.kind} ${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;
const k8sObjects = (run: StackRun) => run.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:")).map((r) => manifestOf(r.inputs));

it("preview with the policy pack passes and plans exactly the resources the program registers under mocks", async () => {
    const md = path.join(s.dir, "preview-dev.md");
    const run = await platform(["preview", "--stack-file", file, "--state-dir", state, "--markdown", md]);
    expectExit(run, 0);
    expect(run.out).toMatch(/✅ media-platform@v?\d+\.\d+\.\d+ \(local: .*policies\)/);
    expect(run.out).not.toMatch(/\[mandatory\]/);
    // The engine adds the stack resource itself and the default provider, which the mocks do not register.
    const planned = changeCounts(run.out).create;
    expect(planned).toBeGreaterThan(50);
    expect(planned - offline.resources.length).toBeGreaterThanOrEqual(1);
    expect(planned - offline.resources.length).toBeLessThanOrEqual(2);
    const comment = fs.readFileSync(md, "utf8");
    expect(comment).toContain("### `dev` — ✅ preview passed");
    expect(comment).toContain(`${planned} to create`);
    expect(comment).toContain("policies/config/dev.json");
    expect(comment).toMatch(/Capacity summary \(used \/ limit\):\n {2}\S/);
    // Nothing is rendered by a preview.
    expect(fs.existsSync(renderDir)).toBe(false);
});

describe("up", () => {
    let first: Awaited<ReturnType<typeof platform>>;
    let manifests: ReturnType<typeof readManifests>;
    beforeAll(async () => {
        first = await platform(["up", "--stack-file", file, "--state-dir", state]);
        expectExit(first, 0);
        manifests = readManifests(renderDir);
    });

    it("ends by printing what it created, where the manifests are and the capacity summary", () => {
        const rel = path.relative(PROJECT_ROOT, renderDir);
        expect(first.out).toMatch(new RegExp(`^dev: \\d+ created \\(pulumi up, \\d+ s, policy config policies/config/dev\\.json\\)$`, "m"));
        expect(first.out).toContain(`Manifests: ${rel}/ (${manifests.length} files; apply with kubectl apply -R -f ${rel})`);
        expect(first.out).toMatch(/Capacity summary \(used \/ limit\):\n {2}Ceph/);
    });

    it("writes one manifest per Kubernetes object the program registers, each valid against its schema", () => {
        const rendered = manifests.map((m) => m.doc);
        expect(rendered.map(key).sort()).toEqual(k8sObjects(offline).map(key).sort());
        const invalid = rendered.flatMap((o) => schemaErrors(o as K8sObject).map((e) => `${key(o)}: ${e}`));
        expect(invalid).toEqual([]);
    });

    it("renders the platform's key objects: the CephCluster on the storage nodes, the Flux shard controllers, the CNPG cluster", () => {
        const kind = (k: string) => manifests.map((m) => m.doc).filter((d) => d.kind === k);
        const [ceph] = kind("CephCluster");
        expect(ceph.apiVersion).toBe("ceph.rook.io/v1");
        expect(ceph.spec.storage.nodes.map((n: { name: string }) => n.name)).toEqual(["dev-storage-1", "dev-storage-2", "dev-storage-3"]);
        // The CR the engine rendered is the one the mocks saw (the harness is faithful to the engine).
        const mocked = k8sObjects(offline).find((o) => o.kind === "CephCluster")!;
        expect(ceph.spec).toEqual(JSON.parse(JSON.stringify(mocked.spec)));

        const shards = offline.config.flux.shards;
        const deployments = kind("Deployment").map((d) => d.metadata.name as string);
        for (const controller of ["source-controller", "kustomize-controller", "helm-controller"]) {
            for (let i = 1; i <= shards; i++) expect(deployments).toContain(`${controller}-shard-${i}`);
        }
        expect(kind("Kustomization").map((k) => k.metadata.name).sort()).toEqual(Array.from({ length: shards }, (_, i) => `tenants-shard-${i + 1}`));

        const [pg] = kind("Cluster").filter((c) => c.apiVersion === "postgresql.cnpg.io/v1");
        expect(pg.spec.instances).toBe(offline.config.data.postgres.instances);
        expect(kind("Pooler")).toHaveLength(1);
    });

    it("a second run changes nothing", async () => {
        const second = await platform(["up", "--stack-file", file, "--state-dir", state]);
        expectExit(second, 0);
        const total = manifests.length;
        const line = /^dev: (\d+) unchanged \(pulumi up/m.exec(second.out);
        expect(line).not.toBeNull();
        expect(Number(line![1])).toBeGreaterThan(total);
        expect(changeCounts(second.out)).toEqual({ same: Number(line![1]) });
    });
});
