// A real Ceph cluster on rate-limited links, for holding the storage model against: Debian's Ceph (pacific),
// one mon and one mgr beside the client in one network namespace, each OSD in a namespace of its own, all
// joined by a bridge that lives in yet another namespace. The subnet exists only inside those namespaces, so
// nothing here can reach, or be reached from, any other address. Each OSD's link is shaped by `tc` in both
// directions (its own egress and the bridge port's egress towards it). BlueStore sits on sparse files under
// /dev/shm: memory-backed, so the links and Ceph's throttles — not a shared disk — set the pace, and Ceph
// classes the OSDs as non-rotational (the SSD/NVMe settings apply, as on the stacks' storage nodes).
//
// Shared by the Ceph suite (test/ceph/*.ceph.ts) and the fidelity benchmark (bench/ceph-fidelity.ts).
// Needs root (namespaces, tc). Every daemon is stopped by the PID this module started it with, every
// namespace deleted by name; a run that died leaves a state file the next start cleans up from.
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** Namespace names start with this; a stale run's namespaces are found by it. */
const NS_PREFIX = "mpceph-";
/** The bed's subnet: it exists only inside the namespaces the bed creates. */
const SUBNET = "10.213.77";
const MON_IP = `${SUBNET}.1`;
const osdIp = (i: number) => `${SUBNET}.${11 + i}`;
/** Memory-backed, so the OSDs' disks neither bind nor share the machine's disk with other work. */
export const DEFAULT_BED_DIR = "/dev/shm/media-platform-ceph-bed";
const STATE_FILE = "bed-state.json";

/** Ceph settings by config section (`global`, `osd`, …), as Rook's CephCluster `spec.cephConfig` holds them. */
export type CephConfigSections = Record<string, Record<string, string>>;

export interface BedOptions {
    osds: number;
    /** Link rate of every OSD, Mbit/s, both directions. */
    linkMbit: number;
    /** Ceph settings applied at runtime (`ceph config set`) once the cluster is up. */
    cephConfig?: CephConfigSections;
    /** Sparse size of each OSD's BlueStore file, GiB. Default 3. */
    osdFileGiB?: number;
    dir?: string;
    /** Progress lines go here. Default: none. */
    log?: (line: string) => void;
}

/** Byte counters of one OSD's link, seen from the OSD. */
export interface LinkBytes {
    rx: number;
    tx: number;
}

export interface PgInfo {
    pgid: string;
    bytes: number;
    objects: number;
    up: number[];
    acting: number[];
    state: string;
}

export interface WriteResult {
    /** Client payload written, bytes (MB = 10^6 bytes below). */
    bytes: number;
    seconds: number;
    mbps: number;
    objects: number;
}

export interface LoadResult extends WriteResult {
    offeredMBps: number;
    /** Mean latency of a write, s. */
    meanLatency: number;
    /** Writes offered but never started because the in-flight cap was reached. */
    dropped: number;
}

interface State {
    dir: string;
    pids: number[];
    namespaces: string[];
    loops: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function run(cmd: string, args: string[], opts: { input?: string; timeout?: number } = {}): string {
    try {
        return execFileSync(cmd, args, { encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], timeout: opts.timeout ?? 120_000, input: opts.input });
    } catch (e: any) {
        throw new Error(`${cmd} ${args.join(" ")} failed: ${e.stderr?.toString() || e.message}`);
    }
}

/** Whether this machine can host the bed: root, the Ceph daemons, iproute2. The reason when not. */
export function bedUnavailable(): string | undefined {
    if (process.platform !== "linux") return "not Linux";
    if (process.getuid?.() !== 0) return "not root (network namespaces and tc need it)";
    for (const bin of ["ceph-mon", "ceph-mgr", "ceph-osd", "ceph", "rados", "monmaptool", "ip", "tc", "losetup"]) {
        const found = ["/usr/bin", "/usr/sbin", "/bin", "/sbin"].some((d) => fs.existsSync(path.join(d, bin)));
        if (!found) return `${bin} not installed (Debian: ceph-mon ceph-mgr ceph-osd ceph-common iproute2)`;
    }
    if (!fs.existsSync("/usr/lib/python3/dist-packages") || !fs.readdirSync("/usr/lib/python3/dist-packages").some((f) => f.startsWith("rados."))) {
        return "python3-rados not installed (ceph-common brings it)";
    }
    return undefined;
}

/** Kills a process only if it is one of the bed's daemons (its command line names the bed's config file). */
function killBedPid(pid: number, conf: string, signal: NodeJS.Signals = "SIGKILL"): void {
    try {
        const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
        if (!cmdline.includes(conf)) return;
        process.kill(pid, signal);
    } catch {
        /* already gone */
    }
}

/** Detaches every loop device whose backing file lies in the bed's folder. */
function detachLoops(dir: string): void {
    let devices: { name: string; "back-file": string | null }[] = [];
    try {
        devices = JSON.parse(run("losetup", ["--list", "--json"]) || "{}").loopdevices ?? [];
    } catch {
        devices = [];
    }
    for (const d of devices) {
        if (d["back-file"]?.startsWith(dir + "/")) {
            try {
                run("losetup", ["--detach", d.name]);
            } catch {
                /* gone meanwhile */
            }
        }
    }
}

/** Removes what a previous run left: its daemons (by recorded PID), namespaces (by prefix) and files. */
export function cleanStale(dir = DEFAULT_BED_DIR): void {
    const stateFile = path.join(dir, STATE_FILE);
    if (fs.existsSync(stateFile)) {
        const state = JSON.parse(fs.readFileSync(stateFile, "utf8")) as State;
        for (const pid of state.pids) killBedPid(pid, path.join(state.dir, "ceph.conf"));
    }
    detachLoops(dir);
    let listed = "";
    try {
        listed = run("ip", ["netns", "list"]);
    } catch {
        listed = "";
    }
    for (const line of listed.split("\n")) {
        const name = line.split(" ")[0];
        if (name.startsWith(NS_PREFIX)) {
            try {
                run("ip", ["netns", "delete", name]);
            } catch {
                /* gone meanwhile */
            }
        }
    }
    fs.rmSync(dir, { recursive: true, force: true });
}

function confText(dir: string, fsid: string): string {
    return `[global]
fsid = ${fsid}
mon host = [v2:${MON_IP}:3300,v1:${MON_IP}:6789]
public network = ${SUBNET}.0/24
auth cluster required = none
auth service required = none
auth client required = none
ms bind ipv6 = false
run dir = ${dir}/run
admin socket = ${dir}/run/$name.asok
log file = ${dir}/log/$name.log
pid file =
osd pool default size = 3
osd pool default min size = 2
osd pool default pg num = 64
osd pool default pgp num = 64
osd pool default pg autoscale mode = off
# every namespace shares one hostname: all OSDs sit under one CRUSH host, so replicas spread over OSDs
osd crush chooseleaf type = 0
# the bed marks a killed OSD out itself, at the moment it chooses
mon osd down out interval = 0
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
osd pool default pg num warn = 1
mgr stats period = 1
osd mon report interval = 1
[mon]
mon data = ${dir}/mon/$cluster-$id
[mgr]
mgr data = ${dir}/mgr/$cluster-$id
[osd]
osd data = ${dir}/osd/$id
osd objectstore = bluestore
bluestore cache size = 268435456
osd memory target = 1073741824
osd op num shards = 2
osd op num threads per shard = 1
osd scrub during recovery = false
osd scrub begin hour = 0
osd scrub end hour = 0
osd scrub auto repair = false
`;
}

/** A running bed. Create with `CephBed.start`, always `stop()` it (in a finally). */
export class CephBed {
    readonly dir: string;
    readonly conf: string;
    readonly osds: number;
    linkMbit: number;
    private readonly children = new Map<string, ChildProcess>();
    private readonly namespaces: string[] = [];
    private readonly loops: string[] = [];
    private readonly log: (line: string) => void;

    private constructor(opts: BedOptions) {
        this.dir = opts.dir ?? DEFAULT_BED_DIR;
        this.conf = path.join(this.dir, "ceph.conf");
        this.osds = opts.osds;
        this.linkMbit = opts.linkMbit;
        this.log = opts.log ?? (() => undefined);
    }

    static readonly nsClient = `${NS_PREFIX}client`;
    static readonly nsBridge = `${NS_PREFIX}bridge`;
    static nsOsd(i: number) {
        return `${NS_PREFIX}osd${i}`;
    }

    /** Builds the network, bootstraps mon, mgr and OSDs, applies `cephConfig`. Cleans up itself if any step fails. */
    static async start(opts: BedOptions): Promise<CephBed> {
        const bed = new CephBed(opts);
        cleanStale(bed.dir);
        try {
            await bed.bootstrap(opts);
            return bed;
        } catch (e) {
            bed.stop();
            throw e;
        }
    }

    private saveState() {
        const state: State = { dir: this.dir, pids: [...this.children.values()].map((c) => c.pid!).filter(Boolean), namespaces: this.namespaces, loops: this.loops };
        fs.writeFileSync(path.join(this.dir, STATE_FILE), JSON.stringify(state));
    }

    private addNamespace(name: string) {
        run("ip", ["netns", "add", name]);
        this.namespaces.push(name);
        this.saveState();
        run("ip", ["-n", name, "link", "set", "lo", "up"]);
    }

    private network() {
        this.addNamespace(CephBed.nsBridge);
        run("ip", ["-n", CephBed.nsBridge, "link", "add", "br0", "type", "bridge"]);
        run("ip", ["-n", CephBed.nsBridge, "link", "set", "br0", "up"]);
        const join = (ns: string, port: string, ip: string) => {
            this.addNamespace(ns);
            run("ip", ["link", "add", "name", port, "netns", CephBed.nsBridge, "type", "veth", "peer", "name", "eth0", "netns", ns]);
            run("ip", ["-n", CephBed.nsBridge, "link", "set", port, "master", "br0", "up"]);
            run("ip", ["-n", ns, "addr", "add", `${ip}/24`, "dev", "eth0"]);
            run("ip", ["-n", ns, "link", "set", "eth0", "up"]);
        };
        join(CephBed.nsClient, "pc", MON_IP);
        for (let i = 0; i < this.osds; i++) join(CephBed.nsOsd(i), `p${i}`, osdIp(i));
        this.shape(this.linkMbit);
    }

    /** Shapes every OSD link to `mbit` in both directions (token bucket, as the reference bed did). */
    shape(mbit: number) {
        for (let i = 0; i < this.osds; i++) {
            const tbf = ["root", "tbf", "rate", `${mbit}mbit`, "burst", "32kbit", "latency", "400ms"];
            run("tc", ["-n", CephBed.nsOsd(i), "qdisc", "replace", "dev", "eth0", ...tbf]);
            run("tc", ["-n", CephBed.nsBridge, "qdisc", "replace", "dev", `p${i}`, ...tbf]);
        }
        this.linkMbit = mbit;
    }

    /** Removes the shaping (fast fills). */
    unshape() {
        for (let i = 0; i < this.osds; i++) {
            run("tc", ["-n", CephBed.nsOsd(i), "qdisc", "del", "dev", "eth0", "root"]);
            run("tc", ["-n", CephBed.nsBridge, "qdisc", "del", "dev", `p${i}`, "root"]);
        }
    }

    private daemon(key: string, ns: string, argv: string[]) {
        const out = fs.openSync(path.join(this.dir, "log", `${key}.out`), "a");
        const child = spawn("ip", ["netns", "exec", ns, ...argv], { stdio: ["ignore", out, out], detached: true });
        fs.closeSync(out);
        child.unref();
        this.children.set(key, child);
        this.saveState();
        return child;
    }

    private async bootstrap(opts: BedOptions) {
        const t0 = Date.now();
        for (const d of ["run", "log", "mon", "mgr", "osd"]) fs.mkdirSync(path.join(this.dir, d), { recursive: true });
        const fsid = randomUUID();
        fs.writeFileSync(this.conf, confText(this.dir, fsid));
        this.saveState();
        this.network();
        const monmap = path.join(this.dir, "monmap");
        const keyring = path.join(this.dir, "mon.keyring");
        run("monmaptool", ["--create", "--addv", "a", `[v2:${MON_IP}:3300,v1:${MON_IP}:6789]`, "--fsid", fsid, monmap]);
        run("ceph-authtool", ["--create-keyring", keyring, "--gen-key", "-n", "mon.", "--cap", "mon", "allow *"]);
        // mkfs inside the namespace: the mon looks for its address among the interfaces it sees.
        run("ip", ["netns", "exec", CephBed.nsClient, "ceph-mon", "--mkfs", "-i", "a", "-c", this.conf, "--monmap", monmap, "--keyring", keyring]);
        this.daemon("mon.a", CephBed.nsClient, ["ceph-mon", "-f", "-i", "a", "-c", this.conf]);
        await this.waitFor("mon answering", 60, async () => {
            try {
                await this.cephAsync(["mon", "stat"], 10);
                return true;
            } catch {
                return false;
            }
        });
        fs.mkdirSync(path.join(this.dir, "mgr", "ceph-x"), { recursive: true });
        this.daemon("mgr.x", CephBed.nsClient, ["ceph-mgr", "-f", "-i", "x", "-c", this.conf]);
        for (let i = 0; i < this.osds; i++) {
            const uuid = randomUUID();
            const id = Number(this.ceph(["osd", "new", uuid]).trim());
            if (id !== i) throw new Error(`expected OSD id ${i}, got ${id}`);
            this.blockDevice(i, opts.osdFileGiB ?? 3);
            run("ip", ["netns", "exec", CephBed.nsOsd(i), "ceph-osd", "-c", this.conf, "-i", String(i), "--mkfs", "--osd-uuid", uuid], { timeout: 120_000 });
            this.startOsd(i);
        }
        await this.waitFor(`${this.osds} OSDs up`, 120, async () => JSON.parse(await this.cephAsync(["osd", "stat", "-f", "json"])).num_up_osds === this.osds);
        this.applyConfig(opts.cephConfig ?? {});
        this.log(`bed up: ${this.osds} OSDs at ${this.linkMbit} Mbit/s in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }

    /** `ceph config set` for every section and option. */
    applyConfig(config: CephConfigSections) {
        for (const [section, options] of Object.entries(config)) {
            for (const [k, v] of Object.entries(options)) this.ceph(["config", "set", section, k, v]);
        }
    }

    /** Removes options set with applyConfig (back to Ceph's defaults). */
    resetConfig(config: CephConfigSections) {
        for (const [section, options] of Object.entries(config)) {
            for (const k of Object.keys(options)) this.ceph(["config", "rm", section, k]);
        }
    }

    /** The value a running OSD uses for an option, asked of the daemon itself. */
    osdOption(osd: number, option: string): string {
        return String(JSON.parse(this.ceph(["tell", `osd.${osd}`, "config", "get", option, "-f", "json"]))[option]);
    }

    /**
     * OSD i's disk: a sparse file in the bed's memory-backed folder behind a loop device, which the kernel
     * reports as non-rotational (BlueStore straight on a tmpfs file would be taken for a spinning disk), so Ceph
     * applies its SSD settings, as on the stacks' NVMe and SSD storage nodes.
     */
    private blockDevice(i: number, gib: number) {
        const dir = path.join(this.dir, "osd", String(i));
        fs.mkdirSync(dir, { recursive: true });
        const file = path.join(dir, "block.file");
        fs.closeSync(fs.openSync(file, "w"));
        fs.truncateSync(file, Math.round(gib * 2 ** 30));
        const dev = run("losetup", ["--find", "--show", file]).trim();
        this.loops.push(dev);
        this.saveState();
        fs.appendFileSync(this.conf, `[osd.${i}]\nbluestore block path = ${dev}\n`);
    }

    startOsd(i: number) {
        this.daemon(`osd.${i}`, CephBed.nsOsd(i), ["ceph-osd", "-f", "-i", String(i), "-c", this.conf]);
    }

    /** Kills an OSD's daemon (SIGKILL: a failed node does not say goodbye). */
    killOsd(i: number) {
        const c = this.children.get(`osd.${i}`);
        if (c?.pid) killBedPid(c.pid, this.conf);
        this.children.delete(`osd.${i}`);
        this.saveState();
    }

    /** The `ceph` CLI, from the client namespace. */
    ceph(args: string[], timeoutS = 60): string {
        return run("ip", ["netns", "exec", CephBed.nsClient, "ceph", "-c", this.conf, "--connect-timeout", String(timeoutS), ...args], { timeout: timeoutS * 1000 + 5000 });
    }

    async cephAsync(args: string[], timeoutS = 60): Promise<string> {
        const r = await execFileAsync("ip", ["netns", "exec", CephBed.nsClient, "ceph", "-c", this.conf, "--connect-timeout", String(timeoutS), ...args], {
            encoding: "utf8",
            timeout: timeoutS * 1000 + 5000,
        });
        return r.stdout;
    }

    cephJson<T = any>(args: string[]): T {
        return JSON.parse(this.ceph([...args, "-f", "json"])) as T;
    }

    async waitFor(what: string, timeoutS: number, check: () => Promise<boolean>, everyMs = 1000) {
        const end = Date.now() + timeoutS * 1000;
        while (Date.now() < end) {
            if (await check()) return;
            await sleep(everyMs);
        }
        throw new Error(`bed: timed out after ${timeoutS} s waiting for ${what}`);
    }

    createPool(name: string, pgs = 64, size = 3) {
        this.ceph(["osd", "pool", "create", name, String(pgs), String(pgs), "replicated"]);
        this.ceph(["osd", "pool", "set", name, "size", String(size)]);
        this.ceph(["osd", "pool", "application", "enable", name, "rbd"]);
    }

    deletePool(name: string) {
        this.ceph(["osd", "pool", "delete", name, name, "--yes-i-really-really-mean-it"]);
    }

    /** Every PG with its bytes and OSDs (refreshes every second with the bed's report intervals). */
    pgs(): PgInfo[] {
        const dump = this.cephJson(["pg", "dump", "pgs_brief"]);
        const brief = (dump.pg_stats ?? dump) as any[];
        const full = this.cephJson(["pg", "ls"]);
        const stats = new Map<string, any>(((full.pg_stats ?? full) as any[]).map((p: any) => [p.pgid, p]));
        return brief.map((p: any) => ({
            pgid: p.pgid,
            bytes: stats.get(p.pgid)?.stat_sum?.num_bytes ?? 0,
            objects: stats.get(p.pgid)?.stat_sum?.num_objects ?? 0,
            up: p.up,
            acting: p.acting,
            state: p.state,
        }));
    }

    /** Bytes of object copies still missing (degraded), estimated per PG from its mean object size. */
    async degradedBytes(pool?: string): Promise<number> {
        const ls = JSON.parse(await this.cephAsync(pool ? ["pg", "ls-by-pool", pool, "-f", "json"] : ["pg", "ls", "-f", "json"]));
        return ((ls.pg_stats ?? ls) as any[]).reduce((a, p) => {
            const s = p.stat_sum ?? {};
            return a + (s.num_objects > 0 ? (s.num_objects_degraded * s.num_bytes) / s.num_objects : 0);
        }, 0);
    }

    /** True when every PG is active+clean. */
    async clean(): Promise<boolean> {
        const s = JSON.parse(await this.cephAsync(["pg", "stat", "-f", "json"]));
        const byState = (s.pg_summary ?? s).num_pg_by_state as { name: string; num: number }[];
        const total = (s.pg_summary ?? s).num_pgs as number;
        return total > 0 && byState.length === 1 && byState[0].name === "active+clean";
    }

    /** Byte counters of OSD i's link. */
    linkBytes(i: number): LinkBytes {
        const j = JSON.parse(run("ip", ["-n", CephBed.nsOsd(i), "-s", "-j", "link", "show", "eth0"]))[0];
        return { rx: j.stats64.rx.bytes, tx: j.stats64.tx.bytes };
    }

    allLinkBytes(): LinkBytes[] {
        return Array.from({ length: this.osds }, (_, i) => this.linkBytes(i));
    }

    /** Fills a pool with `objects` objects of `objectBytes` (rados bench, 16 in flight), and waits until the PG statistics show them. */
    async fill(pool: string, objects: number, objectBytes: number, runName: string) {
        run(
            "ip",
            ["netns", "exec", CephBed.nsClient, "rados", "-c", this.conf, "-p", pool, "bench", "600", "write", "-t", "16", "-b", String(objectBytes), "-O", String(objectBytes), "--max-objects", String(objects), "--no-cleanup", "--run-name", runName],
            { timeout: 600_000 },
        );
        await this.waitFor(`${pool}'s statistics`, 60, async () => {
            const ls = JSON.parse(await this.cephAsync(["pg", "ls-by-pool", pool, "-f", "json"]));
            return ((ls.pg_stats ?? ls) as any[]).reduce((a, p) => a + (p.stat_sum?.num_objects ?? 0), 0) >= objects;
        });
    }

    /** Closed-loop client writes for `seconds` (rados bench): what the shaped links let clients write. */
    benchWrite(pool: string, seconds: number, concurrency: number, objectBytes: number, runName: string): WriteResult {
        const out = run(
            "ip",
            ["netns", "exec", CephBed.nsClient, "rados", "-c", this.conf, "-p", pool, "bench", String(seconds), "write", "-t", String(concurrency), "-b", String(objectBytes), "-O", String(objectBytes), "--no-cleanup", "--run-name", runName],
            { timeout: (seconds + 120) * 1000 },
        );
        const num = (label: string) => {
            const m = out.match(new RegExp(`^${label}:\\s+([\\d.]+)`, "m"));
            if (!m) throw new Error(`rados bench: no "${label}" in:\n${out}`);
            return Number(m[1]);
        };
        const objects = num("Total writes made");
        const secs = num("Total time run");
        const bytes = objects * objectBytes;
        return { bytes, seconds: secs, mbps: bytes / secs / 1e6, objects };
    }

    /**
     * Open-loop client load: writes of `objectBytes` offered at `offeredMBps` for `seconds`, at most `maxInFlight`
     * at once (python3-rados, run in the client namespace). Throughput and latency count the writes completed
     * in the last two thirds of the window, once the pipeline is full.
     */
    startLoad(pool: string, offeredMBps: number, seconds: number, objectBytes: number, maxInFlight = 64): { done: Promise<LoadResult>; proc: ChildProcess } {
        const script = path.join(this.dir, "load.py");
        fs.writeFileSync(script, LOAD_SCRIPT);
        const proc = spawn("ip", ["netns", "exec", CephBed.nsClient, "/usr/bin/python3", script, this.conf, pool, String(offeredMBps), String(seconds), String(objectBytes), String(maxInFlight)], {
            stdio: ["ignore", "pipe", "pipe"],
        });
        this.children.set(`load.${proc.pid}`, proc);
        this.saveState();
        let out = "";
        let err = "";
        proc.stdout!.on("data", (d) => (out += d));
        proc.stderr!.on("data", (d) => (err += d));
        const done = new Promise<LoadResult>((resolve, reject) => {
            proc.on("exit", (code) => {
                this.children.delete(`load.${proc.pid}`);
                if (code !== 0) return reject(new Error(`load generator exited ${code}: ${err}`));
                const r = JSON.parse(out.trim().split("\n").pop()!);
                resolve({ ...r, mbps: r.bytes / r.seconds / 1e6, offeredMBps });
            });
        });
        return { done, proc };
    }

    /** Stops every daemon by PID and deletes every namespace and file of the bed. Safe to call twice. */
    stop() {
        for (const c of this.children.values()) if (c.pid) killBedPid(c.pid, this.conf);
        for (const c of this.children.values()) if (c.pid && c.exitCode === null) killBedPid(c.pid, path.join(this.dir, "load.py"));
        this.children.clear();
        for (const ns of [...this.namespaces].reverse()) {
            try {
                run("ip", ["netns", "delete", ns]);
            } catch {
                /* already gone */
            }
        }
        this.namespaces.length = 0;
        detachLoops(this.dir);
        this.loops.length = 0;
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

/** Open-loop writer: offers writes at a fixed rate, so a saturated cluster shows as a shortfall, not a slower loop. */
const LOAD_SCRIPT = String.raw`
import json, sys, time, threading, rados
conf, pool, mbps, seconds, size, cap = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
c = rados.Rados(conffile=conf); c.connect(); io = c.open_ioctx(pool)
data = b"x" * size
# The first third of the window fills the pipeline; throughput counts completions after it (steady state).
warm = seconds / 3
lock = threading.Lock(); st = {"inflight": 0, "done": 0, "bytes": 0, "lat": 0.0, "dropped": 0}
start = time.time()
def cb(t0):
    def f(comp):
        now = time.time()
        with lock:
            st["inflight"] -= 1
            if warm <= now - start <= seconds:
                st["done"] += 1; st["bytes"] += size; st["lat"] += now - t0
    return f
interval = size / (mbps * 1e6); n = 0
while True:
    due = start + n * interval
    now = time.time()
    if due - start >= seconds: break
    if due > now: time.sleep(due - now)
    with lock:
        full = st["inflight"] >= cap
        if not full: st["inflight"] += 1
    if full: st["dropped"] += 1
    else:
        t0 = time.time(); io.aio_write_full("load-%d-%d" % (int(start), n), data, oncomplete=cb(t0))
    n += 1
time.sleep(max(0.0, start + seconds - time.time()))
with lock: done, nbytes, lat = st["done"], st["bytes"], st["lat"]
print(json.dumps({"bytes": nbytes, "seconds": seconds - warm, "objects": done, "meanLatency": lat / max(done, 1), "dropped": st["dropped"]}))
sys.stdout.flush()
io.close(); c.shutdown()
`;
