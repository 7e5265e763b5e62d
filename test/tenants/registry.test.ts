// The registry format: what is accepted (down to a bare list of names) and how every problem is reported
// at once with its line in the file.
import * as path from "node:path";
import { ConfigError } from "../../config/errors";
import { PROJECT_ROOT } from "../../config/load";
import { parseRegistry, readRegistry, TENANT_NAME_MAX } from "../../tenants/registry";

const opts = { plans: ["basic", "plus"], defaultPlan: "basic" };

function problems(text: string, o = opts): string[] {
    try {
        parseRegistry(text, "reg.yaml", o);
    } catch (e) {
        if (e instanceof ConfigError) return e.problems.map((p) => `${p.path}: ${p.message}`);
        throw e;
    }
    throw new Error("expected a ConfigError");
}

describe("accepted registries", () => {
    it("a plain list of names: default plan, active, no apps", () => {
        const r = parseRegistry("tenants: [{name: alice}, {name: bob}]\n", "reg.yaml", opts);
        expect(r.tenants).toEqual([
            { name: "alice", plan: "basic", status: "active", apps: [] },
            { name: "bob", plan: "basic", status: "active", apps: [] },
        ]);
    });

    it("apps by name or with chart values; a suspended tenant; a name starting with a digit", () => {
        const r = parseRegistry(
            ["tenants:", "  - name: 4kfan", "    plan: plus", "    status: suspended", "    apps:", "      - plex", "      - name: sonarr", "        values: { quality: 1080p }"].join("\n"),
            "reg.yaml",
            opts,
        );
        expect(r.tenants[0]).toEqual({ name: "4kfan", plan: "plus", status: "suspended", apps: [{ name: "plex", values: {} }, { name: "sonarr", values: { quality: "1080p" } }] });
    });

    it("an empty file is an empty registry", () => {
        expect(parseRegistry("", "reg.yaml", opts).tenants).toEqual([]);
    });

    it("the shipped registries parse against their stacks' plans", () => {
        const dev = readRegistry(path.join(PROJECT_ROOT, "tenants/registries/dev.yaml"), opts);
        expect(dev.tenants.find((t) => t.name === "freya-olsen")?.status).toBe("suspended");
        const prod = readRegistry(path.join(PROJECT_ROOT, "tenants/registries/prod.yaml"), { plans: ["starter", "standard", "pro"], defaultPlan: "starter" });
        expect(prod.tenants.length).toBe(5000);
    });
});

describe("every problem at once, with its line", () => {
    it("names: DNS labels, length, reserved, duplicates", () => {
        const long = "a".repeat(TENANT_NAME_MAX + 1);
        const text = ["tenants:", "  - name: Alice", `  - name: ${long}`, "  - name: kube-system", "  - name: flux-system", "  - name: kube-tenant", "  - name: bob", "  - name: bob"].join("\n");
        expect(problems(text)).toEqual([
            `reg.yaml:2 tenants[0].name: expected a DNS label of at most 40 characters (a-z, 0-9 and '-', starting and ending with a letter or digit; it names the tenant's namespace and Helm release), got "Alice"`,
            `reg.yaml:3 tenants[1].name: expected a DNS label of at most 40 characters (a-z, 0-9 and '-', starting and ending with a letter or digit; it names the tenant's namespace and Helm release), got "${long}"`,
            expect.stringMatching(/^reg\.yaml:4 tenants\[2\]\.name: expected a name that is not reserved for the platform \(default, kube-system, .*kube-\*\), got "kube-system"$/),
            expect.stringMatching(/^reg\.yaml:5 tenants\[3\]\.name: expected a name that is not reserved .*got "flux-system"$/),
            expect.stringMatching(/^reg\.yaml:6 tenants\[4\]\.name: expected a name that is not reserved .*got "kube-tenant"$/),
            `reg.yaml:8 tenants[6].name: expected a unique tenant name, got "bob" (also tenants[5])`,
        ]);
    });

    it("fields: unknown keys, plans, statuses, apps and values", () => {
        const text = [
            "tenants:",
            "  - name: alice",
            "    plna: plus",
            "  - name: bob",
            "    plan: gold",
            "  - name: carol",
            "    status: paused",
            "  - name: dave",
            "    apps:",
            "      - plex",
            "      - name: Sonarr",
            "      - plex",
            "      - name: radarr",
            "        values: [1, 2]",
            "      - name: a-very-long-app-name-indeed",
            "  - just-a-string",
        ].join("\n");
        expect(problems(text)).toEqual([
            "reg.yaml:3 tenants[0].plna: unknown key; expected one of: apps, name, plan, status",
            'reg.yaml:5 tenants[1].plan: expected one of the plans basic, plus, got "gold"',
            'reg.yaml:7 tenants[2].status: expected one of "active", "suspended", got "paused"',
            expect.stringMatching(/^reg\.yaml:11 tenants\[3\]\.apps\[1\]\.name: expected a DNS label of at most 22 characters .*got "Sonarr"$/),
            'reg.yaml:12 tenants[3].apps[2]: expected each app once, got "plex" again (also apps[0])',
            "reg.yaml:14 tenants[3].apps[3].values: expected a map of the app's chart values, got a list of 2",
            expect.stringMatching(/^reg\.yaml:15 tenants\[3\]\.apps\[4\]\.name: expected a DNS label of at most 22 characters .*got "a-very-long-app-name-indeed"$/),
            'reg.yaml:16 tenants[4]: expected a tenant: {name, plan, status, apps}, got "just-a-string"',
        ]);
    });

    it("a stack's own Flux namespace is reserved too", () => {
        expect(problems("tenants: [{name: gitops}]\n", { ...opts, reserved: ["gitops"] } as typeof opts)).toEqual([expect.stringMatching(/^reg\.yaml:1 tenants\[0\]\.name: expected a name that is not reserved for the platform \(.*, gitops, kube-\*\), got "gitops"$/)]);
    });

    it("an app listed twice", () => {
        expect(problems("tenants:\n  - name: dave\n    apps: [plex, sonarr, plex]\n")).toEqual(['reg.yaml:3 tenants[0].apps[2]: expected each app once, got "plex" again (also apps[0])']);
    });

    it("a missing name is reported on the tenant's line", () => {
        expect(problems("tenants:\n  - name: ok\n  - plan: basic\n")).toEqual(["reg.yaml:3 tenants[1].name: expected a DNS label of at most 40 characters (a-z, 0-9 and '-', starting and ending with a letter or digit; it names the tenant's namespace and Helm release), got nothing"]);
    });

    it("not YAML: the line of the syntax error", () => {
        expect(problems("tenants:\n  - name: a\n  - name: [b\n")).toEqual([expect.stringMatching(/^reg\.yaml:4: expected valid YAML, got /)]);
        expect(problems("tenants:\n  - name: a\n    apps: *apps\n")).toEqual(["reg.yaml:3: expected valid YAML, got the alias *apps with no anchor &apps before it at line 3, column 11"]);
        expect(problems("tenants:\n  - name: a\n    name: b\n")).toEqual(['reg.yaml:3: expected each key once in a map, got "name" again at line 3, column 5']);
    });

    it("the wrong top level", () => {
        expect(problems("- alice\n- bob\n")).toEqual(["reg.yaml:1 (config): expected a mapping with a tenants: list, got a list of 2"]);
        expect(problems("tenant: []\n")).toEqual(["reg.yaml:1 tenants: expected a list of tenants, got nothing", "reg.yaml:1 tenant: unknown key; expected one of: tenants"]);
    });

    it("raised as a ConfigError naming the file, so the CLI exits 2 without a stack trace", () => {
        expect(() => parseRegistry("tenants: [{name: Bad}]", "tenants/registries/x.yaml", opts)).toThrow(/1 config problem in tenants\/registries\/x\.yaml:\n {2}tenants\/registries\/x\.yaml:1 tenants\[0\]\.name: expected a DNS label/);
    });

    it("a registry that cannot be read", () => {
        expect(() => readRegistry("/nonexistent/registry.yaml")).toThrow(/expected a readable tenant registry, got ENOENT/);
    });
});
