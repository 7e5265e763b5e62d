// How the operator command talks to a terminal: colour only on a terminal and never with NO_COLOR, progress on
// stderr for anything that takes over two seconds, and a yes/no question where a person can answer it.
import * as readline from "node:readline";

/** Whether to colour what goes to this stream: a terminal, NO_COLOR unset (no-color.org), TERM not dumb. */
export function colourFor(stream: NodeJS.WriteStream): boolean {
    return stream.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== "dumb";
}

const SGR = { red: 31, green: 32, yellow: 33, bold: 1, dim: 2 } as const;
export type Style = keyof typeof SGR;

/** Paints text with one style when `on`. */
export function paint(on: boolean, style: Style, text: string): string {
    return on ? `\x1b[${SGR[style]}m${text}\x1b[0m` : text;
}

/** Progress shown after a quiet start: nothing for the first two seconds, then resources done / total and the current step. */
export class Progress {
    private timer?: NodeJS.Timeout;
    private shownAt = 0;
    private lastLine = "";
    private readonly tty: boolean;
    private readonly started = Date.now();

    constructor(
        private readonly label: string,
        /** Reads the state to show: done, total (undefined while unknown), the current step. */
        private readonly read: () => { done: number; total?: number; current?: string },
        private readonly stream: NodeJS.WriteStream = process.stderr,
        /** Delay before the first line, ms. */
        delay = 2000,
    ) {
        this.tty = stream.isTTY === true;
        this.timer = setTimeout(() => this.tick(), delay);
        this.timer.unref();
    }

    private tick(): void {
        const { done, total, current } = this.read();
        const secs = Math.round((Date.now() - this.started) / 1000);
        const line = `${this.label}: ${done}${total !== undefined ? `/${total}` : ""} resources done${current ? `, now ${current}` : ""} (${secs} s)`;
        if (this.tty) {
            const width = this.stream.columns ?? 80;
            this.stream.write(`\r\x1b[2K${line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line}`);
            this.lastLine = line;
        } else if (line !== this.lastLine && Date.now() - this.shownAt >= 5000) {
            // Piped: a line at most every 5 s, so logs stay readable.
            this.stream.write(`${line}\n`);
            this.lastLine = line;
            this.shownAt = Date.now();
        }
        this.timer = setTimeout(() => this.tick(), this.tty ? 250 : 1000);
        this.timer.unref();
    }

    stop(): void {
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
        if (this.tty && this.lastLine) this.stream.write("\r\x1b[2K");
    }
}

/** Asks a yes/no question on the terminal; resolves true only for "yes" or "y". */
export async function confirm(question: string): Promise<boolean> {
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
    try {
        const answer = await new Promise<string>((resolve) => rl.question(`${question} [yes/no] `, resolve));
        return /^(y|yes)$/i.test(answer.trim());
    } finally {
        rl.close();
    }
}

/** Whether a person can answer a question: stdin and stderr are terminals. */
export function interactive(): boolean {
    return process.stdin.isTTY === true && process.stderr.isTTY === true;
}
