// Large inputs read once per content (config/parseCache.ts): a second read of the same text, options and reader
// comes from disk; any change to the text or options is read afresh; failures are never kept.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cachedRead, PARSE_CACHE_MIN_CHARS } from "../../config/parseCache";
import { ConfigError } from "../../config/errors";
import { formatRegistry, generateTenants } from "../../tenants/names";
import { readRegistry } from "../../tenants/registry";

const big = (seed: string) => `# ${seed}\n${"x".repeat(PARSE_CACHE_MIN_CHARS)}`;

describe("the parse cache", () => {
    let home: string;
    let env: NodeJS.ProcessEnv;
    beforeEach(() => {
        home = fs.mkdtempSync(path.join(os.tmpdir(), "parse-cache-"));
        env = { XDG_CACHE_HOME: home };
    });
    afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

    /** A reader that counts its calls. */
    const counting = <T>(value: T) => {
        const calls = { n: 0 };
        return { calls, read: () => (calls.n++, value) };
    };

    it("reads a large text once; the same text with the same options comes back equal, Maps, undefined, NaN, Infinity and -0 included", () => {
        const value = { tenants: new Map([["felix13", 2]]), ratio: Number.NaN, cap: Number.POSITIVE_INFINITY, nested: [{ a: -0, b: undefined }] };
        const r = counting(value);
        expect(cachedRead("lock", big("a"), { file: "x" }, r.read, env)).toBe(value);
        const again = cachedRead("lock", big("a"), { file: "x" }, r.read, env);
        expect(r.calls.n).toBe(1);
        expect(again).toEqual(value);
        expect(again.tenants.get("felix13")).toBe(2);
        expect(Object.is(again.nested[0].a, -0)).toBe(true);
        expect(Object.keys(again.nested[0])).toEqual(["a", "b"]);
    });

    it("does not keep what it cannot give back exactly", () => {
        const dated = counting({ at: new Date(0) });
        cachedRead("registry", big("e"), {}, dated.read, env);
        cachedRead("registry", big("e"), {}, dated.read, env);
        expect(dated.calls.n).toBe(2);
    });

    it("reads afresh when the text, the options or the kind differ", () => {
        const r = counting({ ok: true });
        cachedRead("registry", big("a"), { file: "x" }, r.read, env);
        cachedRead("registry", big("b"), { file: "x" }, r.read, env);
        cachedRead("registry", big("a"), { file: "y" }, r.read, env);
        cachedRead("lock", big("a"), { file: "x" }, r.read, env);
        expect(r.calls.n).toBe(4);
    });

    it("never keeps small texts, failures, or anything when turned off", () => {
        const small = counting(1);
        cachedRead("registry", "tenants: []\n", {}, small.read, env);
        cachedRead("registry", "tenants: []\n", {}, small.read, env);
        expect(small.calls.n).toBe(2);
        let failures = 0;
        const failing = () => {
            failures++;
            throw new ConfigError([{ path: "x", message: "expected something" }], "x");
        };
        expect(() => cachedRead("registry", big("c"), {}, failing, env)).toThrow(ConfigError);
        expect(() => cachedRead("registry", big("c"), {}, failing, env)).toThrow(ConfigError);
        expect(failures).toBe(2);
        const off = counting(1);
        cachedRead("registry", big("d"), {}, off.read, { ...env, MEDIA_PLATFORM_PARSE_CACHE: "off" });
        cachedRead("registry", big("d"), {}, off.read, { ...env, MEDIA_PLATFORM_PARSE_CACHE: "off" });
        expect(off.calls.n).toBe(2);
        expect(fs.existsSync(path.join(home, "media-platform", "parsed")) ? fs.readdirSync(path.join(home, "media-platform", "parsed")) : []).toEqual([]);
    });

    it("keeps the 32 results used last", () => {
        for (let i = 0; i < 40; i++) cachedRead("registry", big(`n${i}`), {}, () => i, env);
        expect(fs.readdirSync(path.join(home, "media-platform", "parsed")).filter((f) => f.endsWith(".json"))).toHaveLength(32);
    });
});

describe("a large tenant registry, read twice", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "registry-cache-"));
    const xdg = process.env.XDG_CACHE_HOME;
    beforeAll(() => (process.env.XDG_CACHE_HOME = path.join(dir, "cache")));
    afterAll(() => {
        if (xdg === undefined) delete process.env.XDG_CACHE_HOME;
        else process.env.XDG_CACHE_HOME = xdg;
        fs.rmSync(dir, { recursive: true, force: true });
    });
    const plans = [["basic", 70], ["plus", 30]] as const;
    const tenants = generateTenants({ count: 3000, seed: 7, plans });
    const file = path.join(dir, "tenants.yaml");
    const opts = { plans: ["basic", "plus"], defaultPlan: "basic" };

    it("gives the same registry from the cache, and finds a problem made by an edit of one character", () => {
        const text = formatRegistry(tenants, ["3000 generated tenants"], "basic");
        expect(text.length).toBeGreaterThan(PARSE_CACHE_MIN_CHARS);
        fs.writeFileSync(file, text);
        const first = readRegistry(file, opts);
        expect(fs.readdirSync(path.join(dir, "cache", "media-platform", "parsed")).filter((f) => f.startsWith("registry-"))).toHaveLength(1);
        expect(readRegistry(file, opts)).toEqual(first);
        // The same content with a plan it does not know: read afresh, and refused.
        fs.writeFileSync(file, text.replace("plan: plus", "plan: pluss"));
        expect(() => readRegistry(file, opts)).toThrow(/expected one of the plans basic, plus, got "?pluss"?/);
    });
});
