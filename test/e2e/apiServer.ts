// A real Kubernetes API server for the end-to-end tests: Debian's etcd and kube-apiserver (scripts/engine/kube.sh)
// on loopback, with a fresh data folder, a self-signed certificate and a token for a system:masters user. No
// scheduler, controller manager or kubelet: objects are validated, stored and served, pods never run. Both
// processes are stopped by PID when the server is stopped, and when this process exits.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freePort } from "../harness/net";

export interface ApiServer {
    /** https://127.0.0.1:<port> */
    url: string;
    /** A kubeconfig file for it, context CONTEXT. */
    kubeconfig: string;
    /** Seconds from start until /readyz answered 200. */
    readySeconds: number;
    /** Runs the repository's kubectl against it. */
    kubectl(args: string[], input?: string): { code: number; out: string };
    /** Resolves once every CRD on the server is Established; rejects with those that are not after `timeoutMs`. */
    crdsEstablished(timeoutMs?: number): Promise<void>;
    stop(): Promise<void>;
}

export const CONTEXT = "media-platform-e2e";

const running = new Set<ChildProcess>();
process.on("exit", () => {
    for (const p of running) p.kill("SIGKILL");
});

function start(cmd: string, args: string[], log: string): ChildProcess {
    const out = fs.openSync(log, "a");
    const child = spawn(cmd, args, { stdio: ["ignore", out, out] });
    fs.closeSync(out);
    running.add(child);
    child.on("exit", () => running.delete(child));
    return child;
}

async function stopProcess(p: ChildProcess): Promise<void> {
    if (p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once("exit", () => r()));
    p.kill("SIGTERM");
    const timer = setTimeout(() => p.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
}

function openssl(args: string[]): void {
    const r = spawnSync("openssl", args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
}

/** Starts etcd and kube-apiserver from `bin` (kube-apiserver, kubectl) and waits until the server is ready. */
export async function startApiServer(bin: string, opts: { readyTimeoutMs?: number } = {}): Promise<ApiServer> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "media-platform-apiserver-"));
    const [client, peer, metrics, secure] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const started = Date.now();
    const etcd = start(
        "etcd",
        [
            "--name=e2e",
            `--data-dir=${path.join(dir, "etcd")}`,
            `--listen-client-urls=http://127.0.0.1:${client}`,
            `--advertise-client-urls=http://127.0.0.1:${client}`,
            `--listen-peer-urls=http://127.0.0.1:${peer}`,
            `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
            `--initial-cluster=e2e=http://127.0.0.1:${peer}`,
            `--listen-metrics-urls=http://127.0.0.1:${metrics}`,
        ],
        path.join(dir, "etcd.log"),
    );
    const cert = path.join(dir, "server.crt");
    const key = path.join(dir, "server.key");
    openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert]);
    const saKey = path.join(dir, "sa.key");
    const saPub = path.join(dir, "sa.pub");
    openssl(["genrsa", "-out", saKey, "2048"]);
    openssl(["rsa", "-in", saKey, "-pubout", "-out", saPub]);
    const token = `e2e-${Math.random().toString(36).slice(2)}`;
    fs.writeFileSync(path.join(dir, "tokens.csv"), `${token},admin,admin,system:masters\n`);
    const apiserver = start(
        path.join(bin, "kube-apiserver"),
        [
            `--etcd-servers=http://127.0.0.1:${client}`,
            "--bind-address=127.0.0.1",
            `--secure-port=${secure}`,
            "--advertise-address=127.0.0.1",
            `--tls-cert-file=${cert}`,
            `--tls-private-key-file=${key}`,
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            `--service-account-key-file=${saPub}`,
            `--service-account-signing-key-file=${saKey}`,
            `--token-auth-file=${path.join(dir, "tokens.csv")}`,
            "--authorization-mode=RBAC",
            "--service-cluster-ip-range=10.0.0.0/24",
            "--endpoint-reconciler-type=none",
            "--profiling=false",
        ],
        path.join(dir, "apiserver.log"),
    );
    const url = `https://127.0.0.1:${secure}`;
    const kubeconfig = path.join(dir, "kubeconfig");
    fs.writeFileSync(
        kubeconfig,
        [
            "apiVersion: v1",
            "kind: Config",
            `current-context: ${CONTEXT}`,
            "clusters:",
            `- name: ${CONTEXT}`,
            "  cluster:",
            `    server: ${url}`,
            `    certificate-authority-data: ${fs.readFileSync(cert).toString("base64")}`,
            "users:",
            `- name: ${CONTEXT}`,
            "  user:",
            `    token: ${token}`,
            "contexts:",
            `- name: ${CONTEXT}`,
            "  context:",
            `    cluster: ${CONTEXT}`,
            `    user: ${CONTEXT}`,
            "",
        ].join("\n"),
    );
    const kubectl = (args: string[], input?: string) => {
        const r = spawnSync(path.join(bin, "kubectl"), ["--kubeconfig", kubeconfig, ...args], { encoding: "utf8", input, maxBuffer: 64 * 1024 * 1024 });
        return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
    };
    // One list per look: `kubectl wait` asks for each CRD in turn under kubectl's client-side rate limit
    // (5 requests/s), 6 s for 40 CRDs already established.
    const crdsEstablished = async (timeoutMs = 120_000) => {
        const until = Date.now() + timeoutMs;
        for (;;) {
            const r = kubectl(["get", "crd", "-o", 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Established")].status}{"\\n"}{end}']);
            const waiting = r.out.split("\n").filter((l) => l !== "" && !l.endsWith("=True"));
            if (r.code === 0 && waiting.length === 0) return;
            if (Date.now() > until) throw new Error(`CRDs not Established after ${timeoutMs / 1000} s: ${r.code === 0 ? waiting.join(", ") : r.out}`);
            await new Promise((done) => setTimeout(done, 100));
        }
    };
    const stop = async () => {
        await stopProcess(apiserver);
        await stopProcess(etcd);
        fs.rmSync(dir, { recursive: true, force: true });
    };
    // Ready: /readyz answers 200 (bounded).
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
    for (;;) {
        if (apiserver.exitCode !== null || etcd.exitCode !== null) {
            const logs = ["etcd.log", "apiserver.log"].map((f) => `--- ${f}\n${fs.readFileSync(path.join(dir, f), "utf8").split("\n").slice(-20).join("\n")}`).join("\n");
            await stop();
            throw new Error(`the API server did not start:\n${logs}`);
        }
        if (kubectl(["get", "--raw=/readyz"]).out.trim() === "ok") break;
        if (Date.now() > deadline) {
            const log = fs.readFileSync(path.join(dir, "apiserver.log"), "utf8").split("\n").slice(-20).join("\n");
            await stop();
            throw new Error(`the API server was not ready within ${(opts.readyTimeoutMs ?? 60_000) / 1000} s:\n${log}`);
        }
        await new Promise((r) => setTimeout(r, 250));
    }
    return { url, kubeconfig, readySeconds: (Date.now() - started) / 1000, kubectl, crdsEstablished, stop };
}

/** kube-apiserver and kubectl of the pinned version: scripts/engine/kube.sh (built from the Go module proxy when missing). */
export function kubeBinaries(): string {
    const r = spawnSync(path.resolve(__dirname, "../../scripts/engine/kube.sh"), { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    if (r.status !== 0) throw new Error("scripts/engine/kube.sh could not provide kube-apiserver and kubectl (see its messages above)");
    return r.stdout.trim().split("\n").pop()!;
}
