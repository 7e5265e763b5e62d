// Large input files read again and again (a registry of thousands of tenants: 1.3 MB, about 1.2 s to parse and
// validate on 2 cores, on every preview, check and capacity run) are read once per content: the result is kept
// on disk, keyed by the SHA-256 of the text, the reading options, the source of the code that reads it and the
// lock file of the libraries it uses, so an edit to the file, the reader or a library is a miss. Only successful
// reads are kept; problems are found afresh.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Below this many characters a file is parsed every time: it takes milliseconds. */
export const PARSE_CACHE_MIN_CHARS = 128 * 1024;
/** Results kept; the oldest go first. */
const KEEP = 32;

/** The folders whose TypeScript can change what a reader returns: the reader, its formats and contracts. */
const READER_FOLDERS = ["contract", "capacity", "formats", "config", "tenants"];
/** The installed libraries (yaml, zod) can too: the lock file names their versions. */
const LIBRARY_LOCK = "package-lock.json";
const ROOT = path.resolve(__dirname, "..");

/** Where results are kept; undefined when turned off (MEDIA_PLATFORM_PARSE_CACHE=off). */
export function parseCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
    if (env.MEDIA_PLATFORM_PARSE_CACHE === "off") return undefined;
    return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "media-platform", "parsed");
}

let fingerprint: string | undefined;
/** SHA-256 of the readers' source and the libraries' versions, once per process; undefined where the source is not there to read. */
function readerFingerprint(): string | undefined {
    if (fingerprint !== undefined) return fingerprint || undefined;
    const hash = crypto.createHash("sha256");
    try {
        for (const folder of READER_FOLDERS) {
            const dir = path.join(ROOT, folder);
            for (const f of fs.readdirSync(dir, { recursive: true }).map(String).filter((x) => x.endsWith(".ts")).sort()) {
                hash.update(`${folder}/${f}\0`).update(fs.readFileSync(path.join(dir, f))).update("\0");
            }
        }
        if (fs.existsSync(path.join(ROOT, LIBRARY_LOCK))) hash.update(fs.readFileSync(path.join(ROOT, LIBRARY_LOCK)));
        fingerprint = hash.digest("hex");
    } catch {
        fingerprint = "";
    }
    return fingerprint || undefined;
}

/** The tag of a value JSON cannot hold as it is (a Map, undefined, NaN, ±Infinity, -0); no input key starts with NUL. */
const TAG = "\u0000";

/** JSON-safe form of a reader's result; undefined for what it cannot hold exactly (a Date, a class, a key starting with NUL). */
function encode(v: unknown): unknown {
    if (v === undefined) return { [TAG]: "undefined" };
    if (v === null || typeof v === "string" || typeof v === "boolean") return v;
    if (typeof v === "number") return Number.isFinite(v) && !Object.is(v, -0) ? v : { [TAG]: "number", v: String(Object.is(v, -0) ? "-0" : v) };
    if (Array.isArray(v)) return v.map((x) => encode(x));
    if (v instanceof Map) return { [TAG]: "map", v: [...v].map(([k, x]) => [encode(k), encode(x)]) };
    if (typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) {
            if (k.startsWith(TAG)) throw NOT_KEPT;
            out[k] = encode(x);
        }
        return out;
    }
    throw NOT_KEPT;
}
const NOT_KEPT = new Error("not kept");

function decode(v: unknown): unknown {
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map(decode);
    const o = v as Record<string, unknown>;
    if (TAG in o) {
        if (o[TAG] === "undefined") return undefined;
        if (o[TAG] === "number") return Number(o.v);
        return new Map((o.v as [unknown, unknown][]).map(([k, x]) => [decode(k), decode(x)]));
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = decode(x);
    return out;
}

/**
 * `read()`'s result for this text, from the cache when an earlier read of the same text, options and reader
 * kept it. Plain data, Maps, undefined, NaN, ±Infinity and -0 come back as they went in; a result holding
 * anything else is not kept.
 */
export function cachedRead<T>(kind: string, text: string, options: unknown, read: () => T, env: NodeJS.ProcessEnv = process.env): T {
    const dir = parseCacheDir(env);
    const code = text.length >= PARSE_CACHE_MIN_CHARS && dir ? readerFingerprint() : undefined;
    if (!dir || !code) return read();
    const key = crypto.createHash("sha256").update(`${kind}\0${code}\0${JSON.stringify(options ?? null)}\0`).update(text).digest("hex");
    const file = path.join(dir, `${kind}-${key}.json`);
    try {
        const kept = decode(JSON.parse(fs.readFileSync(file, "utf8"))) as T;
        // Used: the newest, as far as pruning is concerned.
        const now = new Date();
        fs.utimesSync(file, now, now);
        return kept;
    } catch {
        // A miss (or an unreadable entry): read, and keep the result.
    }
    const value = read();
    try {
        fs.mkdirSync(dir, { recursive: true });
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, JSON.stringify(encode(value)));
        fs.renameSync(tmp, file);
        prune(dir);
    } catch {
        // A result it cannot hold exactly, or a cache that cannot be written: it only costs time.
    }
    return value;
}

/** Keeps the KEEP results used last. */
function prune(dir: string): void {
    const entries = fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .map((f) => ({ f, t: fs.statSync(path.join(dir, f)).mtimeMs }))
        .sort((a, b) => b.t - a.t);
    for (const { f } of entries.slice(KEEP)) fs.rmSync(path.join(dir, f), { force: true });
}
