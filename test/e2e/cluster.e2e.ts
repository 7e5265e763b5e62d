// The platform on a real Kubernetes API server (test/e2e/apiServer.ts: etcd and kube-apiserver on loopback, no
// kubelet), each started empty, as the README says a cluster needs nothing before dev is deployed:
//   1. every object dev, homelab and prod register (under mocks) passes a server-side dry run with strict
//      validation (one server for the three: each stack's CRDs and namespaces applied for real first);
//   2. the replays fail preview with nothing reaching the server; `platform up` of dev with the Kubernetes
//      provider on the server (not render mode) succeeds on the first run; a second changes nothing; growth
//      updates in place; removing a tenant touches only its shard's figures; protect stops a destroy.
// (The README's apply of the rendered manifests runs in dev.e2e.ts, on the manifests it renders.)
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { changes } from "../../cli/engine";
import { PROJECT_ROOT, stackFile } from "../../config/load";
import { isStateful } from "../../policies/rules/safety";
import { runStackOffline } from "../../stacks/offline";
import { REPLAYS, replayFile } from "../replays/outages";
import { manifestOf } from "../schema/validate";
import { CONTEXT, kubeBinaries, startApiServer, type ApiServer } from "./apiServer";
import { configOf, eventsOf, expectExit, platform, scratch, SSA, stepsOf, type Scratch } from "./helpers";

let bin: string;
let s: Scratch;
beforeAll(() => {
    bin = kubeBinaries();
    s = scratch();
});
afterAll(() => s?.remove());


describe("every Kubernetes object the stacks register, on one API server started empty", () => {
    let server: ApiServer;
    beforeAll(async () => {
        server = await startApiServer(bin);
    });
    afterAll(() => server?.stop());

    it.each(["dev", "homelab", "prod"])("%s's pass a server-side dry run with strict validation", async (stack) => {
        const run = await runStackOffline(stack, { preview: true });
        const objects = run.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:")).map((r) => manifestOf(r.inputs));
        // CRDs and namespaces for real first: a dry run of an object whose kind or namespace does not exist yet
        // is refused for that reason alone.
        const first = objects.filter((o) => o.kind === "CustomResourceDefinition" || o.kind === "Namespace");
        expect(server.kubectl([...SSA, "--field-manager=media-platform", "-f", "-"], first.map((o) => JSON.stringify(o)).join("\n")).code).toBe(0);
        await server.crdsEstablished();
        // One stream, as kubectl apply -f takes a folder: each object is tried, every refusal reported.
        const rest = objects.filter((x) => !first.includes(x));
        const r = server.kubectl([...SSA, "--field-manager=media-platform", "--dry-run=server", "-f", "-"], rest.map((o) => JSON.stringify(o)).join("\n"));
        const refused = r.out.split("\n").filter((l) => /^(error|Error from server)/.test(l));
        expect(r.out.split("\n").filter((l) => l.endsWith("serverside-applied (server dry run)"))).toHaveLength(rest.length - refused.length);
        expect(refused).toEqual([]);
        expect(objects.length).toBeGreaterThan(100);
    });
});

describe("pulumi up of dev against an empty API server", () => {
    let server: ApiServer;
    let config: Record<string, any>;
    let file: string;
    let state: string;
    /** The URNs of the Ceph cluster and the database cluster, once created. */
    let clusters: string[] = [];
    /** A stack file of dev's config with these changes, on the API server. */
    const variant = (name: string, change: (c: Record<string, any>) => void = () => undefined) => {
        const c = JSON.parse(JSON.stringify(config));
        change(c);
        return s.stackFile(name, c);
    };
    const onServer = (argv: string[]) => platform([...argv, "--state-dir", state], { KUBECONFIG: server.kubeconfig });

    beforeAll(async () => {
        server = await startApiServer(bin);
        config = configOf(stackFile("dev"));
        // The provider applies to the server; nothing waits for readiness, which pods never reach without a kubelet.
        config["media-platform:cluster"] = { provider: "existing", context: CONTEXT, waitForReady: false };
        file = variant("dev");
        state = path.join(s.dir, "cluster-state");
    });
    afterAll(() => server?.stop());

    it("before anything is deployed, each replay fails preview on its named rules, and nothing reaches the server", async () => {
        const serverObjects = () => server.kubectl(["get", "all,configmaps,secrets,crd", "-A", "-o", "jsonpath={range .items[*]}{.metadata.uid}/{.metadata.resourceVersion}{\"\\n\"}{end}"]).out;
        const empty = serverObjects();
        // The previews run two at a time (each its own engine): the replays of prod need AWS and cannot run here.
        const replays = REPLAYS.filter((r) => r.base !== "prod");
        const preview = async (replay: (typeof replays)[number]) => {
            const c = configOf(replayFile(replay.name));
            c["media-platform:cluster"] = { provider: "existing", context: CONTEXT, waitForReady: false };
            const run = await platform(["preview", "--stack-file", s.stackFile(replay.name, c, "replays"), "--state-dir", path.join(s.dir, `replay-${replay.name}`), "--json"], {
                KUBECONFIG: server.kubeconfig,
                PULUMI_CONFIG_PASSPHRASE: "e2e",
                PULUMI_BACKEND_URL: `file://${s.dir}/replay-${replay.name}/state`,
            });
            const mandatory = new Set(eventsOf(run).flatMap((e) => (e.policyEvent?.enforcementLevel === "mandatory" ? [e.policyEvent.policyName] : [])));
            return { replay: replay.name, code: run.code, missing: replay.rules.filter((r) => !mandatory.has(r)), tail: run.code === 3 ? "" : run.out.split("\n").slice(-15).join("\n") };
        };
        const results = [];
        for (let i = 0; i < replays.length; i += 2) results.push(...(await Promise.all(replays.slice(i, i + 2).map(preview))));
        expect(results).toEqual(replays.map((r) => ({ replay: r.name, code: 3, missing: [], tail: "" })));
        expect(serverObjects()).toBe(empty);
    });

    it("the first up creates everything; the objects are on the server", async () => {
        const up = await onServer(["up", "--yes", "--stack-file", file, "--json"]);
        expectExit(up, 0);
        const created = stepsOf(up).steps.filter((st) => st.op === "create" && st.done);
        expect(created.length).toBeGreaterThan(120);
        clusters = created.filter((st) => st.type === "kubernetes:ceph.rook.io/v1:CephCluster" || st.type === "kubernetes:postgresql.cnpg.io/v1:Cluster").map((st) => st.urn);
        expect(clusters).toHaveLength(2);
        expect(server.kubectl(["get", "cephclusters.ceph.rook.io", "-A", "-o", "name"]).out.trim()).toBe("cephcluster.ceph.rook.io/rook-ceph");
        expect(server.kubectl(["get", "deployments", "-n", "flux-system", "-o", "name"]).out.trim().split("\n")).toHaveLength(3 + 3 * config["media-platform:flux"].shards);
        expect(server.kubectl(["get", "crd", "-o", "name"]).out.trim().split("\n").length).toBeGreaterThanOrEqual(40);
    });

    it("a second up changes nothing", async () => {
        const up = await onServer(["up", "--yes", "--stack-file", file, "--json"]);
        expectExit(up, 0);
        expect(stepsOf(up).steps.filter(changes).map((st) => `${st.op} ${st.urn}`)).toEqual([]);
    });

    it("one more Flux shard and one more storage node update in place: no replace, no delete of anything stateful", async () => {
        const grown = variant("dev", (c) => {
            c["media-platform:flux"].shards += 1;
            const nodes = c["media-platform:storage"].nodes;
            nodes.push({ ...nodes[nodes.length - 1], name: "dev-storage-4" });
        });
        const run = await onServer(["preview", "--stack-file", grown, "--json"]);
        expectExit(run, 0);
        const steps = stepsOf(run).steps.filter(changes);
        expect(steps.filter((st) => st.op !== "create" && st.op !== "update").map((st) => `${st.op} ${st.urn}`)).toEqual([]);
        expect(steps.filter((st) => st.resource && isStateful(st.resource) && st.op !== "update").map((st) => st.urn)).toEqual([]);
        expect(steps.filter((st) => st.op === "create" && st.type === "kubernetes:apps/v1:Deployment").map((st) => st.name).sort()).toEqual(
            ["helm", "kustomize", "source"].map((c) => `flux-shard-4-${c}-controller`),
        );
        expect(steps.some((st) => st.op === "update" && st.type === "kubernetes:ceph.rook.io/v1:CephCluster")).toBe(true);
    });

    it("removing a tenant from the registry deletes nothing: only its shard's capacity figures change", async () => {
        const registry = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, "tenants", "registries", "dev.yaml"), "utf8"));
        const gone = registry.tenants.pop().name as string;
        const dir = path.join(s.dir, "registry");
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, "dev.yaml"), YAML.stringify(registry));
        fs.copyFileSync(path.join(PROJECT_ROOT, "tenants", "registries", "dev.lock.yaml"), path.join(dir, "dev.lock.yaml"));
        const smaller = variant("dev", (c) => (c["media-platform:tenants"].registry = path.join(dir, "dev.yaml")));
        const run = await onServer(["preview", "--stack-file", smaller, "--json"]);
        expectExit(run, 0);
        const steps = stepsOf(run).steps.filter(changes);
        expect(steps.length).toBeGreaterThan(0);
        for (const st of steps) {
            expect({ tenant: gone, op: st.op, type: st.type }).toEqual({ tenant: gone, op: "update", type: "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization" });
            expect(st.diffs.every((d) => d.startsWith("metadata.annotations"))).toBe(true);
        }
    });

    it("protect stops a destroy of the Ceph and Postgres clusters: both stay, in the state and on the server", async () => {
        // Aimed at the two clusters: a full destroy would also wait on deletions this server never finishes
        // (no controller manager runs the namespace and garbage collectors).
        const destroy = await onServer(["destroy", "--yes", "--stack-file", file, "--target-dependents", ...clusters.flatMap((u) => ["--target", u])]);
        expect(destroy.code).toBe(1);
        // The engine refuses each protected resource it reaches: the database cluster, and the Ceph pools and
        // filesystem before the Ceph cluster that holds them (the unprotected Pooler and StorageClasses go).
        for (const type of ["postgresql.cnpg.io/v1:Cluster::postgres-cluster", "ceph.rook.io/v1:CephBlockPool::storage-block-pool"]) {
            expect(destroy.out).toMatch(new RegExp(`${type.replace(/[./]/g, "\\$&")}" cannot be deleted\\s+because it is protected`));
        }
        expect(server.kubectl(["get", "cephclusters.ceph.rook.io", "-A", "-o", "name"]).out.trim()).toBe("cephcluster.ceph.rook.io/rook-ceph");
        expect(server.kubectl(["get", "clusters.postgresql.cnpg.io", "-A", "-o", "name"]).out.trim()).toBe("cluster.postgresql.cnpg.io/postgres");
        // In the state too: the file backend's checkpoint of the stack still holds both.
        const checkpoints = fs.readdirSync(path.join(state, "state", ".pulumi", "stacks"), { recursive: true }).map(String).filter((f) => f.endsWith("dev.json"));
        const resources = checkpoints.flatMap((c) => JSON.parse(fs.readFileSync(path.join(state, "state", ".pulumi", "stacks", c), "utf8")).checkpoint.latest.resources as { urn: string }[]);
        for (const urn of clusters) expect(resources.map((r) => r.urn)).toContain(urn);
    });
});
