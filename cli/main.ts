// The operator command: `npx platform <command> …` (the package's bin) or `npm run --silent platform -- <command> …`.
import * as fs from "node:fs";
import * as path from "node:path";
import { reportError, type Command } from "./command";
import { COMMANDS } from "./commands";
import { PROJECT } from "../config/schema";

const USAGE = `Usage: npx platform <command> [options]   (or: npm run --silent platform -- <command> [options])

Commands:
${COMMANDS.map((c) => `  ${c.words.join(" ").padEnd(18)} ${c.summary}`).join("\n")}

Run a command with --help for its options; --version prints the versions. Exit codes: 0 ok, 1 check failed,
2 bad arguments or config. Colour only on a terminal, never with NO_COLOR; progress on stderr.`;

const ROOT = path.resolve(__dirname, "..");

/** The project's name (Pulumi's, and the policy pack's), this package's version and the engine it pins (scripts/engine/versions.env). */
export function versionText(): string {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };
    const pins = Object.fromEntries(
        fs
            .readFileSync(path.join(ROOT, "scripts", "engine", "versions.env"), "utf8")
            .split("\n")
            .filter((l) => /^[A-Z_]+=/.test(l))
            .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    return `${PROJECT} ${pkg.version} (pulumi v${pins.PULUMI_VERSION}, kubernetes provider v${pins.PULUMI_KUBERNETES_VERSION})`;
}

/**
 * `npm run` without --silent writes its banner ("> media-platform@… platform") on stdout before anything of
 * ours, which breaks a JSON reader: say so on stderr (the bin, `npx platform`, has no banner).
 */
function warnAboutNpmBanner(argv: string[]): void {
    if (argv.includes("--json") && process.env.npm_command === "run" && process.env.npm_lifecycle_event === "platform" && process.env.npm_config_loglevel !== "silent") {
        process.stderr.write("warning: npm printed its banner on stdout before the JSON: use `npx platform …` or `npm run --silent platform -- …`\n");
    }
}

/** Finds the command whose words start argv (longest match). */
export function findCommand(argv: string[]): { command?: Command; rest: string[] } {
    const matches = COMMANDS.filter((c) => c.words.every((w, i) => argv[i] === w)).sort((a, b) => b.words.length - a.words.length);
    return matches[0] ? { command: matches[0], rest: argv.slice(matches[0].words.length) } : { rest: argv };
}

export async function main(argv: string[]): Promise<number> {
    if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
        console.log(USAGE);
        return 0;
    }
    if (argv[0] === "--version" || argv[0] === "version") {
        console.log(versionText());
        return 0;
    }
    warnAboutNpmBanner(argv);
    const { command, rest } = findCommand(argv);
    if (!command) {
        const group = COMMANDS.filter((c) => c.words[0] === argv[0]);
        process.stderr.write(
            group.length > 0
                ? `error: "${argv.join(" ")}" needs a subcommand: ${group.map((c) => c.words.join(" ")).join(", ")}\n`
                : `error: unknown command "${argv[0]}"\n\n${USAGE}\n`,
        );
        return 2;
    }
    // Every command answers --help the same way, before its own arguments are parsed.
    if (rest.includes("--help") || rest.includes("-h")) {
        console.log(command.help);
        return 0;
    }
    try {
        return await command.run(rest);
    } catch (e) {
        return reportError(e, command);
    }
}

/** Runs the command line and exits with its code (70 for a bug: an error no command handled). */
export function runAndExit(argv: string[]): void {
    main(argv).then(
        (code) => process.exit(code),
        (e) => {
            process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
            process.exit(70);
        },
    );
}

if (require.main === module) runAndExit(process.argv.slice(2));
