// Runs Debian's nginx as the current user with a generated nginx.conf, in front of a local upstream that
// holds every request open, and drives a bounded loopback load through it. Shared by the proxy tests and
// bench/proxy-load.ts. Everything lives in a temp prefix; nginx is killed (its own process group) at the end.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import type { NginxSizing } from "../../capacity/proxy";
import { renderNginxConf } from "../../formats/nginxConf";
import { freePort } from "../harness/net";

/** The nginx binary, or undefined when nginx is not installed. */
export function findNginx(): string | undefined {
    for (const candidate of [process.env.NGINX_BIN, "/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]) {
        if (candidate && fs.existsSync(candidate)) return candidate;
    }
    try {
        return execFileSync("sh", ["-c", "command -v nginx"], { encoding: "utf8" }).trim() || undefined;
    } catch {
        return undefined;
    }
}

/** The marker nginx logs when a worker runs out of connections (outage 4 in docs/outages.md). */
export const NOT_ENOUGH = "worker_connections are not enough";

/** A fresh prefix folder nginx (possibly running its workers as another user) can use. */
export function tempPrefix(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "media-platform-nginx-"));
    fs.chmodSync(dir, 0o755);
    return dir;
}

/** The test rendering of the proxy config: same generator and sizing, loopback listen and upstreams, files in the prefix. */
export function testNginxConf(sizing: NginxSizing, prefix: string, listenPort: number, upstream: string): string {
    return renderNginxConf({
        sizing,
        listen: `127.0.0.1:${listenPort}`,
        web: [upstream],
        streaming: [upstream],
        errorLog: path.join(prefix, "error.log"),
        runtimeDir: prefix,
    });
}

/** `nginx -t` on a config file; returns nginx's exit status and output. */
export function nginxTest(nginx: string, prefix: string, confFile: string): { ok: boolean; output: string } {
    // -e stderr: nginx's verdict ("syntax is ok", "test is successful") goes to stderr, not a root-only log.
    const r = spawnSync(nginx, ["-t", "-p", `${prefix}/`, "-c", confFile, "-e", "stderr"], { encoding: "utf8" });
    return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

/** An upstream that answers nothing until released, so every proxied request stays open at once. */
export interface HoldingUpstream {
    port: number;
    arrived: () => number;
    release: () => void;
    close: () => Promise<void>;
}

export async function holdingUpstream(): Promise<HoldingUpstream> {
    const held: http.ServerResponse[] = [];
    let released = false;
    const server = http.createServer((_req, res) => {
        if (released) res.end("ok\n");
        else held.push(res);
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, resolve));
    return {
        port: (server.address() as net.AddressInfo).port,
        arrived: () => held.length,
        release() {
            released = true;
            for (const r of held.splice(0)) r.end("ok\n");
        },
        close: () =>
            new Promise((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

export interface RunningNginx {
    child: ChildProcess;
    stop: () => Promise<void>;
}

/** Every nginx this module started and has not stopped yet. */
const running = new Set<RunningNginx>();

/** Stops whatever is still running (for afterAll, should a test end early). */
export async function stopAllNginx(): Promise<void> {
    await Promise.all([...running].map((r) => r.stop()));
}

/** Starts nginx in the foreground in its own process group and waits until it answers /healthz. */
export async function startNginx(nginx: string, prefix: string, confFile: string, port: number): Promise<RunningNginx> {
    const child = spawn(nginx, ["-p", `${prefix}/`, "-c", confFile, "-e", path.join(prefix, "startup.log"), "-g", "daemon off;"], {
        detached: true,
        stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const stop = async () => {
        running.delete(handle);
        if (child.exitCode !== null || child.signalCode !== null) return;
        // SIGTERM: fast shutdown of master and workers; SIGKILL to the group if it lingers.
        process.kill(-child.pid!, "SIGTERM");
        const timer = setTimeout(() => {
            try {
                process.kill(-child.pid!, "SIGKILL");
            } catch {
                /* already gone */
            }
        }, 3000);
        await exited;
        clearTimeout(timer);
    };
    const handle: RunningNginx = { child, stop };
    running.add(handle);
    const deadline = Date.now() + 10_000;
    for (;;) {
        if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${stderr}`);
        if (await healthy(port)) return handle;
        if (Date.now() > deadline) {
            await stop();
            throw new Error(`nginx did not answer on port ${port} within 10 s: ${stderr}`);
        }
        await new Promise((r) => setTimeout(r, 50));
    }
}

function healthy(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const req = http.get({ host: "127.0.0.1", port, path: "/healthz", timeout: 500 }, (res) => {
            res.resume();
            resolve(res.statusCode === 200);
        });
        req.on("error", () => resolve(false));
        req.on("timeout", () => req.destroy());
    });
}

export interface LoadResult {
    clients: number;
    /** Requests answered 200 by the upstream through nginx. */
    ok: number;
    /** Requests that got another status, a reset or nothing. */
    failed: number;
    /** Requests that reached the upstream while all were held: proof they were open at the same time. */
    heldAtOnce: number;
    /** "worker_connections are not enough" lines in nginx's error log. */
    notEnoughLines: number;
    durationMs: number;
}

/**
 * Opens `clients` connections to nginx (at most `inFlight` connecting at a time), each sending one request,
 * waits until the upstream holds all of them (or none arrived for `settleMs`), releases them and collects
 * the answers. Bounded: every socket is destroyed after `timeoutMs`.
 */
export async function loadThrough(
    port: number,
    upstream: HoldingUpstream,
    errorLog: string,
    clients: number,
    opts: { inFlight?: number; settleMs?: number; timeoutMs?: number } = {},
): Promise<LoadResult> {
    const inFlight = opts.inFlight ?? 200;
    const settleMs = opts.settleMs ?? 3000;
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const started = Date.now();
    const answers: Promise<number>[] = [];
    const sockets: net.Socket[] = [];

    const openOne = () =>
        new Promise<void>((connected) => {
            let data = "";
            const socket = net.connect({ host: "127.0.0.1", port });
            sockets.push(socket);
            socket.setTimeout(timeoutMs, () => socket.destroy());
            answers.push(
                new Promise<number>((done) => {
                    socket.on("data", (d) => (data += d));
                    socket.on("error", () => undefined);
                    socket.on("close", () => {
                        const m = /^HTTP\/1\.\d (\d{3})/.exec(data);
                        done(m ? parseInt(m[1], 10) : 0);
                    });
                }),
            );
            socket.on("connect", () => {
                socket.write("GET / HTTP/1.1\r\nHost: load.test\r\nConnection: close\r\n\r\n");
                connected();
            });
            socket.on("close", () => connected());
        });

    for (let i = 0; i < clients; i += inFlight) {
        await Promise.all(Array.from({ length: Math.min(inFlight, clients - i) }, openOne));
    }
    // Wait until every request is held upstream, or arrivals stop.
    let last = -1;
    let lastChange = Date.now();
    while (upstream.arrived() < clients && Date.now() - lastChange < settleMs && Date.now() - started < timeoutMs) {
        if (upstream.arrived() !== last) {
            last = upstream.arrived();
            lastChange = Date.now();
        }
        await new Promise((r) => setTimeout(r, 25));
    }
    const heldAtOnce = upstream.arrived();
    upstream.release();
    const statuses = await Promise.all(answers);
    for (const s of sockets) s.destroy();
    const ok = statuses.filter((s) => s === 200).length;
    const log = fs.existsSync(errorLog) ? fs.readFileSync(errorLog, "utf8") : "";
    return {
        clients,
        ok,
        failed: clients - ok,
        heldAtOnce,
        notEnoughLines: log.split("\n").filter((l) => l.includes(NOT_ENOUGH)).length,
        durationMs: Date.now() - started,
    };
}

/** One full run: upstream, nginx with the test rendering of `sizing`, the load, and cleanup. */
export async function proxyLoadRun(nginx: string, sizing: NginxSizing, clients: number): Promise<LoadResult & { conf: string }> {
    const prefix = tempPrefix();
    const upstream = await holdingUpstream();
    let running: RunningNginx | undefined;
    try {
        const port = await freePort();
        const conf = testNginxConf(sizing, prefix, port, `127.0.0.1:${upstream.port}`);
        const confFile = path.join(prefix, "nginx.conf");
        fs.writeFileSync(confFile, conf);
        running = await startNginx(nginx, prefix, confFile, port);
        const result = await loadThrough(port, upstream, path.join(prefix, "error.log"), clients);
        return { ...result, conf };
    } finally {
        await running?.stop();
        await upstream.close();
        fs.rmSync(prefix, { recursive: true, force: true });
    }
}
