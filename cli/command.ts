// What every operator command provides, and the shared handling of arguments and errors.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { ConfigError } from "../config/errors";

export interface Command {
    /** Words that select it, e.g. ["shards", "plan"]. */
    words: string[];
    /** One line for the command list. */
    summary: string;
    /** Full help: usage line, options, examples. */
    help: string;
    /** Runs it; resolves to the process exit code. */
    run(argv: string[]): Promise<number>;
}

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, failed: 1, usage: 2, config: 2, policy: 3, changes: 4 } as const;

/** The exit codes as every command's help states them. */
export const EXIT_CODES_HELP = `Exit codes: 0 success; 1 any other failure (engine, provider or program error, the engine unavailable,
the update declined); 2 bad arguments or config (nothing runs); 3 a mandatory policy violation (nothing is
changed); 4 changes found under --expect-no-changes.`;

/** Raised for bad arguments; printed with the command's usage, exit 2. */
export class UsageError extends Error {}

/** node:util parseArgs, strict, with its errors turned into UsageErrors. */
export function parse<T extends NonNullable<ParseArgsConfig["options"]>>(argv: string[], options: T, allowPositionals = false) {
    try {
        return parseArgs({ args: argv, options, strict: true, allowPositionals });
    } catch (e) {
        throw new UsageError((e as Error).message);
    }
}

/** Prints an error the operator can act on: config problems as a list, never a stack trace for them. */
export function reportError(e: unknown, command?: Command): number {
    if (e instanceof ConfigError) {
        process.stderr.write(`${e.message}\n`);
        return EXIT.config;
    }
    if (e instanceof UsageError) {
        process.stderr.write(`error: ${e.message}\n\n${command ? command.help : ""}\n`);
        return EXIT.usage;
    }
    throw e;
}
