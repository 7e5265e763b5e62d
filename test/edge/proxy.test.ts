// The edge proxy: the nginx.conf the component emits, checked by Debian's nginx itself (`nginx -t`) and
// under a bounded loopback load at a test-sized peak, against the same config sized 25 % below.
import * as fs from "node:fs";
import * as path from "node:path";
import { PEAK_CLIENTS_ANNOTATION } from "../../contract/labels";
import { nginxSizing, parseNginxSizing, type NginxSizing } from "../../capacity/proxy";
import { proxyNginxConf } from "../../components/edge/proxy";
import { runStack, SHIPPED_STACKS, type StackRun } from "../harness";
import { object } from "../workloads/read";
import { findNginx, NOT_ENOUGH, nginxTest, proxyLoadRun, stopAllNginx, tempPrefix, testNginxConf } from "./nginxHarness";

const runs: Record<string, StackRun> = {};
beforeAll(async () => {
    for (const s of SHIPPED_STACKS) runs[s] = await runStack(s);
});

describe.each(SHIPPED_STACKS)("edge proxy of stack %s", (stack) => {
    it("mounts the generated nginx.conf from its ConfigMap, sized from the expected peak", () => {
        const run = runs[stack];
        const conf = object(run, "ConfigMap", "edge-proxy").data["nginx.conf"];
        expect(parseNginxSizing(conf)).toEqual(nginxSizing(run.config.edge.proxy));
        const deployment = object(run, "Deployment", "edge-proxy");
        const pod = deployment.spec.template.spec;
        expect(pod.volumes).toContainEqual({ name: "config", configMap: { name: "edge-proxy" } });
        expect(pod.containers[0].args).toEqual(["nginx", "-c", "/etc/nginx/edge/nginx.conf", "-g", "daemon off;"]);
        expect(pod.containers[0].volumeMounts).toContainEqual({ name: "config", mountPath: "/etc/nginx/edge", readOnly: true });
        expect(deployment.metadata.annotations).toEqual({
            [PEAK_CLIENTS_ANNOTATION]: String(run.config.edge.proxy.peakClients),
        });
        expect(deployment.spec.replicas).toBe(run.config.edge.proxy.replicas);
    });

    it("is the test rendering with only listen, upstreams and paths changed", () => {
        const run = runs[stack];
        const emitted = object(run, "ConfigMap", "edge-proxy").data["nginx.conf"];
        const rendered = testNginxConf(nginxSizing(run.config.edge.proxy), "/tmp/prefix", 18080, "127.0.0.1:13000");
        const strip = (c: string) =>
            c
                .split("\n")
                .filter((l) => !/^\s*(listen|pid|error_log|\w+_temp_path) |^\s*server [^{]/.test(l) && !l.startsWith("# Sized for"))
                .join("\n");
        expect(strip(rendered)).toBe(strip(emitted));
        expect(emitted).toContain("server web.media-app.svc.cluster.local:3000;");
        expect(emitted).toContain("listen 8080 reuseport;");
    });
});

const nginx = findNginx();
if (!nginx) {
    // CI (.ci/run) installs nginx-light: there a missing nginx is a failure, not a skip.
    if (process.env.CI === "true") {
        it("nginx is installed (CI=true)", () => {
            throw new Error("nginx is not installed: .ci/run installs nginx-light; the edge proxy cannot be checked without it");
        });
    }
    // Loud on purpose elsewhere: a skip here means the proxy was not really checked.
    console.warn(
        "\n" + "!".repeat(78) + "\n!! nginx is NOT installed: the nginx -t and load tests of the edge proxy are SKIPPED.\n" +
            "!! Install Debian's nginx (apt-get install nginx-light) to run them, as .ci/run does.\n" + "!".repeat(78) + "\n",
    );
}
const withNginx = nginx ? describe : describe.skip;

withNginx("Debian's nginx accepts the generated config", () => {
    it.each(SHIPPED_STACKS)("nginx -t passes for the %s stack's sizing", (stack) => {
        const prefix = tempPrefix();
        try {
            const conf = path.join(prefix, "nginx.conf");
            fs.writeFileSync(conf, testNginxConf(nginxSizing(runs[stack].config.edge.proxy), prefix, 18080, "127.0.0.1:13000"));
            const result = nginxTest(nginx!, prefix, conf);
            expect(result.output).toMatch(/syntax is ok/);
            expect(result.ok).toBe(true);
        } finally {
            fs.rmSync(prefix, { recursive: true, force: true });
        }
    });

    it("nginx -t fails on a broken config (the check is real)", () => {
        const prefix = tempPrefix();
        try {
            const conf = path.join(prefix, "nginx.conf");
            const good = testNginxConf(nginxSizing({ peakClients: 100, replicas: 1, headroom: 1.25, workerProcesses: 1 }), prefix, 18080, "127.0.0.1:13000");
            fs.writeFileSync(conf, good.replace(/^(\s*)worker_connections /m, "$1worker_conections "));
            const result = nginxTest(nginx!, prefix, conf);
            expect(result.ok).toBe(false);
            expect(result.output).toMatch(/unknown directive "worker_conections"/);
        } finally {
            fs.rmSync(prefix, { recursive: true, force: true });
        }
    });
});

withNginx("loopback load at a test-sized peak", () => {
    afterAll(stopAllNginx);
    // A test-sized peak: 2000 concurrent clients on one pod with 2 workers → worker_connections 2500.
    const peak = { peakClients: 2000, replicas: 1, headroom: 1.25, workerProcesses: 2 };
    const computed = nginxSizing(peak);
    const below = (s: NginxSizing): NginxSizing => {
        const workerConnections = Math.floor(s.workerConnections * 0.75);
        return { ...s, workerConnections, workerRlimitNofile: 2 * workerConnections };
    };

    it("holds every client with the computed worker_connections: no alert, every request answered", async () => {
        expect(computed.workerConnections).toBe(2500);
        const r = await proxyLoadRun(nginx!, computed, peak.peakClients);
        expect(r.conf).toContain("worker_connections 2500;");
        expect({ notEnough: r.notEnoughLines, ok: r.ok, heldAtOnce: r.heldAtOnce }).toEqual({ notEnough: 0, ok: 2000, heldAtOnce: 2000 });
    });

    it(`logs "${NOT_ENOUGH}" with the same load and a config sized 25 % below`, async () => {
        const r = await proxyLoadRun(nginx!, below(computed), peak.peakClients);
        expect(r.conf).toContain("worker_connections 1875;");
        expect(r.notEnoughLines).toBeGreaterThan(0);
        expect(r.failed).toBeGreaterThan(0);
    });
});

it("the component's conf generator is what the ConfigMap carries", () => {
    const run = runs.homelab;
    expect(proxyNginxConf({ proxy: run.config.edge.proxy, web: ["web.media-app.svc.cluster.local:3000"], streaming: ["streaming.media-app.svc.cluster.local:4000"] })).toBe(
        object(run, "ConfigMap", "edge-proxy").data["nginx.conf"],
    );
});
