// Real servers for the fidelity suite and bench/fidelity.ts: Debian's PostgreSQL (with pgbench and psql),
// PgBouncer and Redis, each started in a temp folder on loopback as its own process group, waited for
// through its own log, and stopped by the caller (or by stopAllServers). PostgreSQL and PgBouncer refuse to
// run as root: as root they run as the `postgres` user the Debian package creates (setpriv).
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freePort } from "../harness/net";

export { freePort };

/** Binaries of one kind of server, or the names of those missing. */
export interface Found<T> {
    bins?: T;
    missing: string[];
}

export interface DatabaseBins {
    postgres: string;
    initdb: string;
    psql: string;
    pgbench: string;
    pgbouncer: string;
}

export interface RedisBins {
    server: string;
    cli: string;
    benchmark: string;
}

function onPath(name: string): string | undefined {
    try {
        return execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim() || undefined;
    } catch {
        return undefined;
    }
}

const firstExisting = (candidates: (string | undefined)[]) => candidates.find((c) => c !== undefined && fs.existsSync(c));

/** PostgreSQL's own bin folder (Debian keeps it out of PATH): PG_BIN_DIR, else the newest /usr/lib/postgresql/<n>/bin. */
function postgresBinDir(): string | undefined {
    if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
    const root = "/usr/lib/postgresql";
    if (!fs.existsSync(root)) return undefined;
    const versions = fs.readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    return versions.map((v) => path.join(root, v, "bin")).find((d) => fs.existsSync(path.join(d, "postgres")));
}

export function findDatabaseServers(): Found<DatabaseBins> {
    const dir = postgresBinDir();
    const inDir = (n: string) => (dir ? firstExisting([path.join(dir, n)]) : undefined);
    const bins = {
        postgres: inDir("postgres"),
        initdb: inDir("initdb"),
        psql: inDir("psql") ?? onPath("psql"),
        pgbench: inDir("pgbench") ?? onPath("pgbench"),
        pgbouncer: firstExisting([process.env.PGBOUNCER_BIN, "/usr/sbin/pgbouncer", onPath("pgbouncer")]),
    };
    const missing = Object.entries(bins).filter(([, v]) => v === undefined).map(([k]) => k);
    return missing.length > 0 ? { missing } : { bins: bins as DatabaseBins, missing };
}

export function findRedis(): Found<RedisBins> {
    const bins = { server: onPath("redis-server"), cli: onPath("redis-cli"), benchmark: onPath("redis-benchmark") };
    const missing = Object.entries(bins).filter(([, v]) => v === undefined).map(([k]) => `redis-${k}`);
    return missing.length > 0 ? { missing } : { bins: bins as RedisBins, missing };
}

/** CI (`.ci/run` sets CI=true): a missing server is a failure there, a loud skip elsewhere. */
export const underCI = () => /^(1|true|yes)$/i.test(process.env.CI ?? "");

/**
 * A jest describe that needs servers: runs when they are installed; when not, under CI one failing test says
 * what is missing, elsewhere the block is skipped with a banner nobody can miss.
 */
export function describeWithServers(title: string, missing: string[], body: () => void): void {
    if (missing.length === 0) {
        describe(title, body);
        return;
    }
    const what = `${missing.join(", ")} NOT installed: "${title}" cannot run. Install Debian's postgresql, pgbouncer and redis-server (as .ci/run does).`;
    if (underCI()) {
        describe(title, () => it("has its servers installed (CI=true)", () => {
            throw new Error(what);
        }));
        return;
    }
    // Straight to stderr: jest shows no console output of a file whose tests are all skipped.
    process.stderr.write(`\n${"!".repeat(100)}\n!! SKIPPED: ${what}\n${"!".repeat(100)}\n\n`);
    describe.skip(title, body);
}

/** The account PostgreSQL and PgBouncer run as: none when we are not root, else the package's `postgres` user. */
function serverAccount(): { uid: number; gid: number; prefix: string[] } | undefined {
    if (process.getuid?.() !== 0) return undefined;
    let uid: number, gid: number;
    try {
        uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }));
        gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }));
    } catch {
        throw new Error("running as root and there is no postgres user to run PostgreSQL and PgBouncer as (the postgresql package creates it)");
    }
    return { uid, gid, prefix: ["setpriv", `--reuid=${uid}`, `--regid=${gid}`, "--init-groups"] };
}

/** A fresh temp folder (owned by the server account when there is one). */
export function tempDir(kind: string, forServerAccount = false): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `media-platform-fidelity-${kind}-`));
    const account = forServerAccount ? serverAccount() : undefined;
    if (account) fs.chownSync(dir, account.uid, account.gid);
    return dir;
}

export interface RunningServer {
    name: string;
    child: ChildProcess;
    pid: number;
    /** Where its stdout and stderr go. */
    log: string;
    /** SIGTERM to its process group, SIGKILL if it lingers; resolves when it has exited. */
    stop: () => Promise<void>;
    /** SIGKILL to the server alone, now (a crash). */
    crash: () => Promise<void>;
    exited: Promise<void>;
}

const running = new Set<RunningServer>();

/** Stops every server this module started and has not stopped (for afterAll, should a test end early). */
export async function stopAllServers(): Promise<void> {
    await Promise.all([...running].map((r) => r.stop()));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const readText = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "");

/** Starts `argv` detached with output to `log`, and waits until the log matches `ready` (or fails with it). */
async function startServer(name: string, argv: string[], log: string, ready: RegExp, opts: { asServerAccount?: boolean; timeoutMs?: number } = {}): Promise<RunningServer> {
    const account = opts.asServerAccount ? serverAccount() : undefined;
    const cmd = [...(account?.prefix ?? []), ...argv];
    // Only what this start writes counts (a restart appends to the same log).
    const offset = fs.existsSync(log) ? fs.statSync(log).size : 0;
    const fd = fs.openSync(log, "a");
    if (account) fs.fchownSync(fd, account.uid, account.gid);
    const child = spawn(cmd[0], cmd.slice(1), { detached: true, stdio: ["ignore", fd, fd] });
    fs.closeSync(fd);
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const signal = (sig: NodeJS.Signals, group: boolean) => {
        try {
            process.kill(group ? -child.pid! : child.pid!, sig);
        } catch {
            /* already gone */
        }
    };
    const gone = () => child.exitCode !== null || child.signalCode !== null;
    const handle: RunningServer = {
        name,
        child,
        pid: child.pid!,
        log,
        exited,
        async stop() {
            running.delete(handle);
            if (gone()) return;
            signal("SIGTERM", true);
            const timer = setTimeout(() => signal("SIGKILL", true), 5000);
            await exited;
            clearTimeout(timer);
        },
        async crash() {
            running.delete(handle);
            signal("SIGKILL", false);
            await exited;
        },
    };
    running.add(handle);
    const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
    for (;;) {
        if (ready.test(readText(log).slice(offset))) return handle;
        if (gone() || Date.now() > deadline) {
            await handle.stop();
            throw new Error(`${name} did not start (${gone() ? `exited ${child.exitCode ?? child.signalCode}` : "timed out"}):\n${readText(log).slice(-3000)}`);
        }
        await sleep(50);
    }
}

/** Runs a command to its end with a time bound; never throws on a non-zero exit. */
export function runBounded(argv: string[], opts: { timeoutMs: number; input?: string; cwd?: string }): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
    return new Promise((resolve) => {
        const child = spawn(argv[0], argv.slice(1), { cwd: opts.cwd, stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        let timedOut = false;
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.stdin.on("error", () => undefined);
        child.stdin.end(opts.input ?? "");
        const timer = setTimeout(() => {
            timedOut = true;
            child.kill("SIGKILL");
        }, opts.timeoutMs);
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code, stdout, stderr, timedOut });
        });
    });
}

// ---------------------------------------------------------------------------------------------- PostgreSQL

export interface PostgresSettings {
    maxConnections: number;
    reservedConnections: number;
}

export interface PostgresServer extends RunningServer {
    port: number;
}

/** initdb into a fresh folder (trust on loopback: nothing here is reachable from outside). */
export function initPostgres(bins: DatabaseBins): string {
    const dir = tempDir("pg", true);
    const account = serverAccount();
    const argv = [...(account?.prefix ?? []), bins.initdb, "-D", path.join(dir, "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"];
    const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`initdb failed: ${r.stdout}${r.stderr}`);
    return dir;
}

/**
 * Starts PostgreSQL on a free loopback port with the connection settings under test; everything else is
 * small and fast (no fsync, 32 MB shared_buffers): only connection counts are measured here.
 */
export async function startPostgres(bins: DatabaseBins, dir: string, s: PostgresSettings, logName: string): Promise<PostgresServer> {
    const port = await freePort();
    const settings: Record<string, string | number> = {
        port,
        listen_addresses: "127.0.0.1",
        unix_socket_directories: "",
        max_connections: s.maxConnections,
        superuser_reserved_connections: s.reservedConnections,
        // WAL senders must stay below max_connections; nothing here replicates.
        max_wal_senders: 0,
        log_connections: "on",
        log_disconnections: "on",
        log_line_prefix: "%m [%p] ",
        fsync: "off",
        shared_buffers: "32MB",
    };
    const argv = [bins.postgres, "-D", path.join(dir, "data"), ...Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`])];
    const server = await startServer("postgres", argv, path.join(dir, logName), /database system is ready to accept connections/, { asServerAccount: true });
    return { ...server, port };
}

/** psql as the superuser, statements in one call; throws with psql's output on failure. */
export async function psql(bins: DatabaseBins, port: number, sql: string, database = "postgres"): Promise<string> {
    const r = await runBounded([bins.psql, "-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql], { timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`psql failed: ${r.stdout}${r.stderr}`);
    return r.stdout.trim();
}

/** The app's role (no superuser, as CloudNativePG's owner role) and its database. */
export async function createAppDatabase(bins: DatabaseBins, port: number, database: string, owner: string): Promise<void> {
    await psql(bins, port, `CREATE ROLE "${owner}" LOGIN`);
    await psql(bins, port, `CREATE DATABASE "${database}" OWNER "${owner}"`);
}

/** Postgres's refusals of a connection slot (PostgreSQL 15 wording). */
export const SLOT_REFUSAL = /remaining connection slots are reserved for non-replication superuser connections|sorry, too many clients already/;

/**
 * From a PostgreSQL log (log_connections/log_disconnections, prefix "%m [%p] "): the first slot refusal and
 * how many backends of `user` were open when it came (each one a PgBouncer server connection).
 */
export function slotRefusalOf(log: string, user: string): { message: string; openBackends: number } | undefined {
    const open = new Set<string>();
    for (const line of log.split("\n")) {
        const m = /\[(\d+)\] (\w+):\s+(.*)$/.exec(line);
        if (!m) continue;
        const [, pid, level, text] = m;
        if (level === "FATAL" && SLOT_REFUSAL.test(text)) {
            open.delete(pid);
            return { message: text, openBackends: open.size };
        }
        if (text.startsWith(`connection authorized: user=${user} `)) open.add(pid);
        else if (text.startsWith("disconnection:") || level === "FATAL") open.delete(pid);
    }
    return undefined;
}

// ------------------------------------------------------------------------------------------------ PgBouncer

/** The refusal PgBouncer answers past max_client_conn. */
export const CLIENT_REFUSAL = "no more connections allowed (max_client_conn)";

export interface PgbouncerIniInput {
    poolMode: string;
    /** The Pooler's `spec.pgbouncer.parameters`, written as they are (as CloudNativePG writes them). */
    parameters: Record<string, string>;
    postgresPort: number;
    listenPort: number;
    authFile: string;
}

/**
 * pgbouncer.ini the way CloudNativePG builds it (every database to the cluster's rw service, the pool mode,
 * then the Pooler's parameters as given) with the test's loopback listener, trust auth from a user list
 * instead of auth_query, and connection logging.
 */
export function pgbouncerIni(i: PgbouncerIniInput): string {
    return [
        "[databases]",
        `* = host=127.0.0.1 port=${i.postgresPort}`,
        "",
        "[pgbouncer]",
        `pool_mode = ${i.poolMode}`,
        ...Object.entries(i.parameters).map(([k, v]) => `${k} = ${v}`),
        `listen_addr = 127.0.0.1`,
        `listen_port = ${i.listenPort}`,
        "unix_socket_dir =",
        "auth_type = trust",
        `auth_file = ${i.authFile}`,
        "log_connections = 1",
        "log_disconnections = 1",
        "",
    ].join("\n");
}

export interface PgbouncerServer extends RunningServer {
    port: number;
    ini: string;
}

export async function startPgbouncer(bins: DatabaseBins, dir: string, name: string, input: Omit<PgbouncerIniInput, "listenPort" | "authFile">, users: string[]): Promise<PgbouncerServer> {
    const port = await freePort();
    const authFile = path.join(dir, `${name}.users`);
    fs.writeFileSync(authFile, users.map((u) => `"${u}" ""`).join("\n") + "\n");
    const ini = pgbouncerIni({ ...input, listenPort: port, authFile });
    const iniFile = path.join(dir, `${name}.ini`);
    fs.writeFileSync(iniFile, ini);
    const server = await startServer(`pgbouncer ${name}`, [bins.pgbouncer, iniFile], path.join(dir, `${name}.log`), /process up: PgBouncer/, { asServerAccount: true });
    return { ...server, port, ini };
}

/** PgBouncer's version ("1.18.0"), from `pgbouncer --version`. */
export function pgbouncerVersion(bins: DatabaseBins): string {
    const out = execFileSync(bins.pgbouncer, ["--version"], { encoding: "utf8" });
    const m = /PgBouncer (\d+\.\d+(?:\.\d+)?)/.exec(out);
    if (!m) throw new Error(`no version in: ${out}`);
    return m[1];
}

// -------------------------------------------------------------------------------------------------- pgbench

/** One short transaction, as an app thread runs them: a server connection is held from BEGIN to COMMIT. */
export const SHORT_TRANSACTION = "BEGIN;\nSELECT pg_sleep(0.001);\nCOMMIT;\n";

export interface PgbenchInput {
    port: number;
    user: string;
    database: string;
    clients: number;
    /** pgbench -j. With 1, clients connect one after another, so the client a refusal names is the count let in. */
    threads: number;
    seconds: number;
    /** pgbench -M: simple (default), extended (unnamed statements) or prepared (named statements). */
    mode?: "simple" | "extended" | "prepared";
    /** Folder for the script and the per-transaction latency log. */
    dir: string;
    name: string;
}

export interface PgbenchResult {
    code: number | null;
    output: string;
    /** The client whose connection was refused first (= clients let in before it, with one thread). */
    refusedClient?: number;
    transactions: number;
    failedTransactions: number;
    aborted: boolean;
    /** Per-transaction latency in ms, from pgbench's log. */
    latenciesMs: number[];
}

export async function runPgbench(bins: DatabaseBins, i: PgbenchInput): Promise<PgbenchResult> {
    const script = path.join(i.dir, `${i.name}.sql`);
    fs.writeFileSync(script, SHORT_TRANSACTION);
    const logPrefix = path.join(i.dir, `${i.name}-latency`);
    const argv = [bins.pgbench, "-h", "127.0.0.1", "-p", String(i.port), "-U", i.user, "-n", "-f", script, "-M", i.mode ?? "simple"];
    argv.push("-c", String(i.clients), "-j", String(i.threads), "-T", String(i.seconds), "-l", `--log-prefix=${logPrefix}`, i.database);
    const r = await runBounded(argv, { timeoutMs: (i.seconds + 30) * 1000, cwd: i.dir });
    const output = `${r.stdout}${r.stderr}${r.timedOut ? "\n(killed: pgbench overran its time bound)" : ""}`;
    const refused = /could not create connection for client (\d+)/.exec(output);
    const latenciesMs: number[] = [];
    for (const f of fs.readdirSync(i.dir).filter((f) => f.startsWith(`${i.name}-latency.`))) {
        for (const line of readText(path.join(i.dir, f)).split("\n")) {
            const cols = line.split(" ");
            if (cols.length >= 3) latenciesMs.push(Number(cols[2]) / 1000);
        }
    }
    const num = (re: RegExp) => Number(re.exec(output)?.[1] ?? 0);
    return {
        code: r.code,
        output,
        refusedClient: refused ? Number(refused[1]) : undefined,
        transactions: num(/number of transactions actually processed: (\d+)/),
        failedTransactions: num(/number of failed transactions: (\d+)/),
        aborted: /aborted/.test(output) || r.timedOut,
        latenciesMs,
    };
}

/** The q-quantile (0..1) of a sample; NaN when empty. */
export function quantile(xs: number[], q: number): number {
    if (xs.length === 0) return NaN;
    const sorted = [...xs].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

// ---------------------------------------------------------------------------------------------------- Redis

export interface RedisServer extends RunningServer {
    port: number;
    dir: string;
    confFile: string;
}

/**
 * The stack's redis.conf for a loopback test: the same directives but port, bind and dir, which point here
 * (Redis checks `dir` as it reads it, so the stack's own is dropped rather than overridden).
 */
export function loopbackRedisConf(conf: string, port: number, dir: string): string {
    const kept = conf.split("\n").filter((l) => !/^\s*(port|bind|dir)\s/i.test(l));
    return `${kept.join("\n").trimEnd()}\n# fidelity test: loopback, temp dir\nport ${port}\nbind 127.0.0.1\ndir ${dir}\n`;
}

/** Starts redis-server on the stack's redis.conf (loopback, `dir` as its data folder). */
export async function startRedis(bins: RedisBins, stackConf: string, dir: string, port?: number): Promise<RedisServer> {
    const p = port ?? (await freePort());
    const confFile = path.join(dir, "redis.conf");
    fs.writeFileSync(confFile, loopbackRedisConf(stackConf, p, dir));
    const server = await startServer("redis-server", [bins.server, confFile], path.join(dir, "redis.log"), /Ready to accept connections/);
    return { ...server, port: p, dir, confFile };
}

/** Runs `fn` against a Redis started on `stackConf` in a fresh folder; stops it and removes the folder after. */
export async function withRedis<T>(bins: RedisBins, stackConf: string, kind: string, fn: (server: RedisServer) => Promise<T>): Promise<T> {
    const dir = tempDir(kind);
    const server = await startRedis(bins, stackConf, dir);
    try {
        return await fn(server);
    } finally {
        await server.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** redis-cli with arguments; its raw output. */
export async function redisCli(bins: RedisBins, port: number, args: string[]): Promise<string> {
    const r = await runBounded([bins.cli, "-h", "127.0.0.1", "-p", String(port), ...args], { timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`redis-cli ${args.join(" ")} failed: ${r.stdout}${r.stderr}`);
    return r.stdout.trim();
}

/** INFO as a map (every section). */
export async function redisInfo(bins: RedisBins, port: number): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const line of (await redisCli(bins, port, ["INFO", "everything"])).split(/\r?\n/)) {
        const i = line.indexOf(":");
        if (i > 0 && !line.startsWith("#")) out[line.slice(0, i)] = line.slice(i + 1);
    }
    return out;
}

/** Peak and current resident memory of a process, in bytes (Linux /proc). */
export function residentBytes(pid: number): { peak: number; now: number } {
    const status = readText(`/proc/${pid}/status`);
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
    return { peak: kb("VmHWM"), now: kb("VmRSS") };
}

/** redis-benchmark against a port: `args` after the connection options; input goes to -x. */
export function redisBenchmark(bins: RedisBins, port: number, args: string[], input?: string) {
    return runBounded([bins.benchmark, "-h", "127.0.0.1", "-p", String(port), ...args], { timeoutMs: 120_000, input });
}

/**
 * Writes RPUSH `key` <n> one after another through redis-cli (one reply per command, so every reply is an
 * acknowledgement), recording when each was acknowledged, until `stopAfterMs` or the server goes away.
 * Resolves with the acknowledgement times (ms, performance.now) in order: acks[n-1] is write n.
 */
export function ackedPushes(bins: RedisBins, port: number, key: string, stopAfterMs: number): Promise<number[]> {
    return new Promise((resolve) => {
        const cli = spawn(bins.cli, ["-h", "127.0.0.1", "-p", String(port)], { stdio: ["pipe", "pipe", "pipe"] });
        const acks: number[] = [];
        const started = performance.now();
        const window = 64;
        let sent = 0;
        let buffered = "";
        let done = false;
        // Bound: whatever redis-cli does once its server is gone, the run ends.
        const bound = setTimeout(() => finish(), stopAfterMs + 5000);
        const finish = () => {
            if (done) return;
            done = true;
            clearTimeout(bound);
            cli.stdin.end();
            cli.kill("SIGKILL");
            resolve(acks);
        };
        const send = () => {
            let batch = "";
            while (!done && sent - acks.length < window) batch += `RPUSH ${key} ${++sent}\n`;
            if (batch) cli.stdin.write(batch);
        };
        cli.stdin.on("error", () => finish());
        cli.stdout.on("data", (d) => {
            buffered += d;
            const lines = buffered.split("\n");
            buffered = lines.pop()!;
            for (const line of lines) {
                // RPUSH answers the list's new length: a number is an acknowledgement, anything else ends the run.
                if (!/^\d+$/.test(line.trim())) return finish();
                acks.push(performance.now());
            }
            if (performance.now() - started > stopAfterMs) return finish();
            send();
        });
        // redis-cli reports a lost server on stderr and then waits for more input.
        cli.stderr.on("data", () => finish());
        cli.on("close", () => finish());
        send();
    });
}
