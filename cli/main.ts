// The operator command: `npm run --silent platform -- <command> …`.
import { reportError, type Command } from "./command";
import { COMMANDS } from "./commands";

const USAGE = `Usage: npm run --silent platform -- <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.words.join(" ").padEnd(18)} ${c.summary}`).join("\n")}

Run a command with --help for its options. Exit codes: 0 ok, 1 check failed, 2 bad arguments or config.`;

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

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e) => {
            process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
            process.exit(70);
        },
    );
}
