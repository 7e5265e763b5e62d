// The operator command in a real terminal: tmux runs it at 80 and 120 columns and the pane is captured. The
// text fits the terminal, no word is cut, every budget has a status, colour is on in the terminal and off with
// NO_COLOR, and the captures match the ones kept in fixtures/terminal (UPDATE_CAPTURES=1 rewrites them after a
// change meant to show: review them like code).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { capacityReport } from "../../cli/commands/capacity";
import { rowOf } from "../../cli/report/budgets";
import { PROJECT_ROOT, stackFile } from "../../config/load";
import { replayFile } from "../replays/outages";

const FIXTURES = path.join(__dirname, "fixtures", "terminal");
const BIN = path.join(PROJECT_ROOT, "bin", "platform.js");
const tmux = spawnSync("tmux", ["-V"], { encoding: "utf8" }).status === 0;

if (!tmux) {
    // CI (.ci/run) installs tmux: there a missing tmux is a failure, not a skip.
    if (process.env.CI === "true") {
        it("tmux is installed (CI=true)", () => {
            throw new Error("tmux is not installed: .ci/run installs it; the terminal output cannot be checked without it");
        });
    }
    // On stderr: jest hides the console of a file whose tests are all skipped.
    process.stderr.write(
        "\n" + "!".repeat(78) + "\n!! tmux is NOT installed: the terminal captures at 80 and 120 columns are SKIPPED.\n" +
            "!! Install Debian's tmux (apt-get install tmux) to run them, as .ci/run does.\n" + "!".repeat(78) + "\n",
    );
}
const withTmux = tmux ? describe : describe.skip;

interface Capture {
    /** The pane as text, wrapped lines joined (a line longer than the terminal shows as such). */
    plain: string;
    /** The same with the terminal's colours as escape sequences. */
    coloured: string;
}

/** Runs the bin in a detached tmux pane `width` columns wide until it exits, and captures the whole pane. */
function inTmux(args: string[], width: number, env: Record<string, string> = {}): Capture {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tmux-"));
    const conf = path.join(dir, "tmux.conf");
    fs.writeFileSync(conf, "set -g history-limit 50000\nset -g remain-on-exit on\n");
    const socket = path.join(dir, "socket");
    const run = (...a: string[]) => spawnSync("tmux", ["-S", socket, ...a], { encoding: "utf8", cwd: PROJECT_ROOT });
    // The server's environment is the panes': no NO_COLOR unless asked for, a terminal that takes colour.
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "NO_COLOR" && k !== "COLUMNS")) as Record<string, string>;
    const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
    try {
        const started = spawnSync("tmux", ["-S", socket, "-f", conf, "new-session", "-d", "-x", String(width), "-y", "50", "-s", "cap", "-c", PROJECT_ROOT, command], {
            encoding: "utf8",
            cwd: PROJECT_ROOT,
            env: { ...base, TERM: "xterm-256color", ...env },
        });
        if (started.status !== 0) throw new Error(`tmux new-session failed: ${started.stderr}`);
        const deadline = Date.now() + 100_000;
        while (run("display-message", "-p", "-t", "cap", "#{pane_dead}").stdout.trim() !== "1") {
            if (Date.now() > deadline) throw new Error(`${args.join(" ")} did not finish in the pane`);
            spawnSync("sleep", ["0.5"]);
        }
        // Without tmux's own "Pane is dead (status 0, <date>)" line.
        const capture = (...flags: string[]) =>
            run("capture-pane", "-p", ...flags, "-S", "-", "-E", "-", "-t", "cap")
                .stdout.replace(/\n[^\n]*Pane is dead \(status \d+[^\n]*\s*$/, "")
                .replace(/\s+$/, "") + "\n";
        return { plain: capture("-J"), coloured: capture("-J", "-e") };
    } finally {
        run("kill-server");
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** Compares a capture with its fixture; UPDATE_CAPTURES=1 writes it instead. */
function expectFixture(name: string, text: string): void {
    const file = path.join(FIXTURES, name);
    if (process.env.UPDATE_CAPTURES === "1") {
        fs.mkdirSync(FIXTURES, { recursive: true });
        fs.writeFileSync(file, text);
    }
    expect({ name, text }).toEqual({ name, text: fs.readFileSync(file, "utf8") });
}

const widest = (text: string) => Math.max(...text.split("\n").map((l) => [...l].length));

withTmux("in a real terminal", () => {
    describe.each([80, 120])("capacity report --stack prod at %i columns", (width) => {
        let capture: Capture;
        let tokens: Set<string>;
        let budgets: number;
        beforeAll(async () => {
            capture = inTmux(["capacity", "report", "--stack", "prod"], width);
            // Every word the report may print: its titles, figures, statuses, rules and headings.
            const report = await capacityReport(stackFile("prod"));
            budgets = report.summary.budgets.length;
            const words = report.summary.budgets.flatMap((b) => {
                const r = rowOf(b);
                return [b.title, b.rule, r.figures, r.percent, r.status];
            });
            tokens = new Set([...words, "capacity of prod (stacks/Pulumi.prod.yaml) Capacity: budgets — OVER, near (≥ 90 % of the limit), ok"].flatMap((w) => w.split(/\s+/)));
        });

        it("fits the terminal, cuts no word and gives every budget a status", () => {
            expect(widest(capture.plain)).toBeLessThanOrEqual(width);
            const cut = capture.plain.split(/\s+/).filter((w) => w !== "" && !/^\d+$/.test(w) && !tokens.has(w) && !/^[█░]+!?$/.test(w));
            expect(cut).toEqual([]);
            expect(capture.plain.match(/ {2}(ok|near|OVER)$/gm)).toHaveLength(budgets);
            expect(capture.plain).toMatch(/needs ≥ 10 Gbps, has 25 +ok$/m);
        });

        it("is coloured in the terminal", () => {
            expect(capture.coloured).toMatch(/\x1b\[[0-9;]*32m(\x1b\[[0-9;]*m)*ok/);
        });

        it("matches the capture kept as a fixture", () => expectFixture(`capacity-prod-${width}.txt`, capture.plain));
    });

    describe.each([80, 120])("check of the database replay at %i columns", (width) => {
        let capture: Capture;
        beforeAll(() => {
            capture = inTmux(["check", "--stack-file", path.relative(PROJECT_ROOT, replayFile("db-connections"))], width);
        });

        it("fits the terminal and names each violation's fix and remediation steps", () => {
            expect(widest(capture.plain)).toBeLessThanOrEqual(width);
            expect(capture.plain).toMatch(/^ {4}Smallest fix: data\.pooler\.maxClientConn 200 → 215/m);
            expect(capture.plain).toMatch(/^ {2}How to fix: Run the scheduler queue in one Deployment/m);
            expect(capture.plain).toMatch(/^FAILED: 3 mandatory violations;/m);
            // The progress line is gone once the result is printed.
            expect(capture.plain).not.toMatch(/\(\d+ s\)/);
            expect(capture.coloured).toMatch(/\x1b\[[0-9;]*31m(\x1b\[[0-9;]*m)*FAILED/);
        });

        it("matches the capture kept as a fixture", () => expectFixture(`check-db-connections-${width}.txt`, capture.plain));
    });

    it("has no colour with NO_COLOR", () => {
        const capture = inTmux(["capacity", "report", "--stack", "dev"], 100, { NO_COLOR: "1" });
        expect(capture.plain).toMatch(/ {2}ok$/m);
        expect(capture.coloured).not.toMatch(/\x1b\[[0-9;]*m/);
    });
});

describe("piped", () => {
    it("has no colour, fills $COLUMNS, and keeps --json on stdout alone, however it is started", () => {
        const env = { ...process.env, COLUMNS: "90" } as NodeJS.ProcessEnv;
        delete env.NO_COLOR;
        const text = spawnSync(process.execPath, [BIN, "capacity", "report", "--stack", "dev"], { cwd: PROJECT_ROOT, encoding: "utf8", env });
        expect(text.status).toBe(0);
        expect(text.stdout).not.toContain("\x1b[");
        expect(widest(text.stdout)).toBeLessThanOrEqual(90);
        const json = spawnSync(process.execPath, [BIN, "check", "--stack", "dev", "--json"], { cwd: PROJECT_ROOT, encoding: "utf8", env });
        expect(JSON.parse(json.stdout)).toMatchObject({ stack: "dev", mandatory: 0 });
        // Progress, if any, went to stderr.
        expect(json.stdout.trimStart().startsWith("{")).toBe(true);
        const version = spawnSync(process.execPath, [BIN, "--version"], { cwd: PROJECT_ROOT, encoding: "utf8" });
        expect(version.stdout).toMatch(/^media-platform \d+\.\d+\.\d+ \(pulumi v\d+\.\d+\.\d+, kubernetes provider v\d+\.\d+\.\d+\)\n$/);
    });
});
