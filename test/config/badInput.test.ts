// Bad input through the operator's commands: each gives exit 2 with a message naming where and what was
// expected, never a stack trace, and registers nothing. (Shape errors of each config field: errors.test.ts.)
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT, stackFile } from "../../config/load";
import { platformCli as cli, stackConfig, writeStackFile } from "../harness";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "bad-input-"));
/** A path as the commands show it: relative inside the working directory, else absolute. */
const shown = (file: string) => (path.relative(process.cwd(), file).startsWith("..") ? file : path.relative(process.cwd(), file));

/** Six levels of nine aliases: 9^6 = 531,441 copies from seven lines. */
const LAUGHS = [
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ...["b", "c", "d", "e", "f"].map((k, i) => `${k}: &${k} [${Array(9).fill(`*${"abcde"[i]}`).join(",")}]`),
];

/** dev's stack file with its registry (and lock) replaced by these texts, in a fresh folder. */
function devWithRegistry(registry: string, lock?: string): { file: string; dir: string } {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, "tenants.yaml"), registry);
    if (lock !== undefined) fs.writeFileSync(path.join(dir, "tenants.lock.yaml"), lock);
    const c = stackConfig("dev");
    c["media-platform:tenants"].registry = path.join(dir, "tenants.yaml");
    c["media-platform:tenants"].renderDirectory = path.join(dir, "tree");
    return { file: writeStackFile("dev", c), dir };
}

const noTrace = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);

describe("bad input: exit 2, a clear message, no stack trace", () => {
    it("a YAML alias bomb in the stack file (it used to end check with exit 70 and a trace)", async () => {
        const dir = tmp();
        const file = path.join(dir, "Pulumi.bomb.yaml");
        fs.writeFileSync(file, `${fs.readFileSync(stackFile("dev"), "utf8")}\nx-laughs:\n${LAUGHS.map((l) => `  ${l}`).join("\n")}\n`);
        for (const command of [["check"], ["config", "validate"]]) {
            const r = await cli(...command, "--stack-file", file);
            expect(r.code).toBe(2);
            expect(r.err).toBe(
                `1 config problem in ${file}:\n  Pulumi.bomb.yaml: expected YAML whose aliases (*name) expand to at most 100 copies of what they name, got more: write the values out instead of nesting aliases\n`,
            );
        }
    });

    it("a YAML alias bomb in the tenant registry or the lock, which the fast reader would expand", async () => {
        const registry = devWithRegistry(`${LAUGHS.join("\n")}\ntenants: [{ name: alice, apps: *f }]\n`);
        const r = await cli("check", "--stack-file", registry.file);
        expect(r.code).toBe(2);
        expect(r.err).toMatch(/tenants\.yaml: expected YAML whose aliases \(\*name\) expand to at most 100 copies/);
        const lock = devWithRegistry("tenants: [{ name: alice }]\n", `${LAUGHS.join("\n")}\nshards: 3\ntenants: { alice: shard-1 }\n`);
        const l = await cli("config", "validate", "--stack-file", lock.file);
        expect(l.code).toBe(2);
        expect(l.err).toMatch(/tenants\.lock\.yaml: expected YAML whose aliases/);
    });

    it("YAML syntax errors name the line and column in words, not the library's codes", async () => {
        const dir = tmp();
        const file = path.join(dir, "Pulumi.broken.yaml");
        fs.writeFileSync(file, "config:\n  media-platform:environment: dev\n  media-platform:cluster: {provider: render\n  media-platform:maintenanceWindow: 1h\n");
        const r = await cli("check", "--stack-file", file);
        expect(r.code).toBe(2);
        expect(r.err).not.toMatch(/[A-Z]{3,}_[A-Z_]+/);
        expect(r.err).toMatch(/^ {2}Pulumi\.broken\.yaml:4: expected valid YAML, got flow map in block collection must be sufficiently indented and end with a \} at line 4, column 3$/m);
        noTrace(r.err);
        const registry = devWithRegistry("tenants:\n  - name: alice\n   plan: plus\n");
        const g = await cli("config", "validate", "--stack-file", registry.file);
        expect(g.code).toBe(2);
        expect(g.err).toMatch(/tenants\.yaml:3: expected valid YAML, got bad indentation of a sequence entry at line 3, column 4$/m);
    });

    it("a physical quantity past any real machine (nicGbps: 1e308 was accepted)", async () => {
        const c = stackConfig("dev");
        c["media-platform:storage"].nodes[0].nicGbps = 1e308;
        c["media-platform:storage"].nodes[0].devices[0].sizeGiB = 1e12;
        const r = await cli("check", "--stack-file", writeStackFile("dev", c));
        expect(r.code).toBe(2);
        expect(r.err).toContain("  storage.nodes[0].nicGbps: expected a number ≥ 1 and ≤ 800, got 1e+308\n");
        expect(r.err).toContain("  storage.nodes[0].devices[0].sizeGiB: expected a number > 0 and ≤ 131072, got 1000000000000\n");
    });

    it("numeric-looking tenant names are refused with the text as written and 'quote it'; quoted they are names", async () => {
        const bad = devWithRegistry("tenants:\n  - name: 01\n  - name: 0x6b\n    apps: [plex]\n");
        for (const command of [["check"], ["config", "validate"], ["tenants", "render"]]) {
            const r = await cli(...command, "--stack-file", bad.file);
            expect(r.code).toBe(2);
            expect(r.err).toContain(`tenants.yaml:2 tenants[0].name: expected a name, got 01, which YAML reads as the number 1: quote it (name: "01")\n`);
            expect(r.err).toContain(`tenants.yaml:3 tenants[1].name: expected a name, got 0x6b, which YAML reads as the number 107: quote it (name: "0x6b")\n`);
        }
        const quoted = devWithRegistry('tenants:\n  - name: "01"\n  - name: "0x6b"\n');
        const r = await cli("tenants", "render", "--stack-file", quoted.file);
        expect(r.code).toBe(0);
        // Written quoted, so that no YAML reader (Kubernetes reads YAML 1.1) takes them for numbers.
        expect(fs.readFileSync(path.join(quoted.dir, "tenants.lock.yaml"), "utf8")).toMatch(/^ {2}"01": shard-\d\n {2}"0x6b": shard-\d$/m);
    });

    it("plaintext secrets in tenant app values: refused by tenants render, config validate and check, pointing to valuesFrom", async () => {
        const leaky = devWithRegistry(
            ["tenants:", "  - name: alice", "    apps:", "      - name: plex", "        values:", "          claimToken: claim-Xy9", "          db: { url: \"postgres://plex:hunter22@db/plex\" }", "          timezone: Europe/Berlin"].join("\n") + "\n",
        );
        for (const command of [["tenants", "render"], ["config", "validate"], ["check"]]) {
            const r = await cli(...command, "--stack-file", leaky.file);
            expect(r.code).toBe(2);
            expect(r.err).toContain(
                "tenants.yaml:6 tenants[0].apps[0].values.claimToken: expected no secret in plain text (put it in a Secret in the Flux namespace and read it with the app's valuesFrom: {secret, key, path}), got a value under the credential key \"claimToken\"\n",
            );
            expect(r.err).toContain("tenants.yaml:7 tenants[0].apps[0].values.db.url: expected no secret in plain text (put it in a Secret in the Flux namespace and read it with the app's valuesFrom: {secret, key, path}), got a password in a URL (user:password@host)\n");
            expect(r.err).not.toContain("hunter22");
            noTrace(r.err);
        }
        expect(fs.existsSync(path.join(leaky.dir, "tree"))).toBe(false);
    });

    it("an empty registry warns on stderr (and is valid)", async () => {
        const empty = devWithRegistry("tenants: []\n");
        const r = await cli("config", "validate", "--stack-file", empty.file);
        expect(r.code).toBe(0);
        expect(r.err).toBe(`warning: ${shown(path.join(empty.dir, "tenants.yaml"))} lists no tenants: the stack runs its shards empty (tenants: [] is valid; an emptied registry is usually a mistake)\n`);
    });

    it("a lock naming a shard beyond the shard count is an error in check (and config validate), as in the lock itself", async () => {
        const registry = "tenants:\n  - name: alice\n  - name: bob\n  - name: carol\n";
        // dev runs 3 shards; a lock written for 4 still keeps carol on shard-4.
        const beyond = devWithRegistry(registry, "shards: 4\ntenants:\n  alice: shard-1\n  bob: shard-2\n  carol: shard-4\n");
        const lockShown = shown(path.join(beyond.dir, "tenants.lock.yaml"));
        for (const [command, stackArg] of [[["check"], "--stack dev"], [["config", "validate"], `--stack-file ${beyond.file}`]] as const) {
            const r = await cli(...command, "--stack-file", beyond.file);
            expect(r.code).toBe(2);
            expect(r.err).toContain(
                `  ${lockShown} shard-4: expected no tenant on a shard beyond flux.shards (3), got 1 (carol): move them with \`platform shards plan ${stackArg} --write\` (or \`tenants render\`) and commit the lock and the tree first\n`,
            );
        }
        // shards plan and tenants render are how the tenants move: they plan from such a lock.
        expect((await cli("tenants", "render", "--stack-file", beyond.file)).code).toBe(0);
        expect(fs.readFileSync(path.join(beyond.dir, "tenants.lock.yaml"), "utf8")).toMatch(/^shards: 3$/m);
        // A lock naming a shard beyond its own count is wrong whatever reads it.
        const torn = devWithRegistry(registry, "shards: 3\ntenants:\n  alice: shard-1\n  carol: shard-7\n");
        const t = await cli("tenants", "render", "--stack-file", torn.file);
        expect(t.code).toBe(2);
        expect(t.err).toMatch(/tenants\.lock\.yaml tenants\.carol: expected one of the lock's 3 shards \(shard-1 … shard-3\), got shard-7$/m);
    });
});

it("the registry's valuesFrom reaches the tenant's HelmRelease as Secret references at the app's values path", async () => {
    const { dir, file } = devWithRegistry(
        ["tenants:", "  - name: alice", "    apps:", "      - name: plex", "        values: { timezone: Europe/Berlin }", "        valuesFrom:", "          - { secret: alice-plex, key: claim-token, path: claimToken }", "      - sonarr"].join("\n") + "\n",
    );
    expect((await cli("tenants", "render", "--stack-file", file)).code).toBe(0);
    const text = fs.readFileSync(path.join(dir, "tree", "tenants", "alice", "tenant.yaml"), "utf8");
    expect(text).toMatch(/^ {2}valuesFrom:\n {4}- kind: Secret\n {6}name: alice-plex\n {6}valuesKey: claim-token\n {6}targetPath: apps\.plex\.claimToken\n/m);
    // Tenants without it render as before (the committed dev tree is unchanged: render.test.ts).
    expect(fs.readFileSync(path.join(PROJECT_ROOT, "gitops/dev/tenants/alice/tenant.yaml"), "utf8")).not.toMatch(/valuesFrom/);
});
