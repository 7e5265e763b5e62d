// How the operator command talks to a terminal: colour only on a terminal and never with NO_COLOR, progress on
// stderr for anything that takes over two seconds, and a yes/no question where a person can answer it.
import * as readline from "node:readline";
import { Worker } from "node:worker_threads";

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

// Drawn by a worker thread writing to the stream's file descriptor: loading the stack program blocks this
// thread for seconds (synchronous requires), and the line must keep counting meanwhile.
const STATUS_WORKER = `
const { workerData, parentPort } = require("node:worker_threads");
const fs = require("node:fs");
const { fd, tty, columns, delay, lock } = workerData;
const started = Date.now();
let text = "";
let shown = "";
let shownAt = 0;
parentPort.on("message", (m) => { text = m; });
function write(s) {
    // 0 free, 1 writing, 2 stopped: the owner clears the line only once no write is under way.
    if (Atomics.compareExchange(lock, 0, 0, 1) !== 0) return false;
    try { fs.writeSync(fd, s); } catch {}
    Atomics.store(lock, 0, 0);
    return true;
}
function tick() {
    const line = text + " (" + Math.round((Date.now() - started) / 1000) + " s)";
    if (tty) {
        if (line !== shown && !write("\\r\\x1b[2K" + (line.length > columns - 1 ? line.slice(0, columns - 2) + "\u2026" : line))) return;
        shown = line;
    } else if ((text !== shown && Date.now() - shownAt >= 5000) || Date.now() - shownAt >= 30000) {
        // Piped: a line at most every 5 s when something changed, else every 30 s, so logs stay readable.
        if (!write(line + "\\n")) return;
        shown = text;
        shownAt = Date.now();
    }
    setTimeout(tick, tty ? 250 : 1000);
}
setTimeout(tick, delay);
`;

/** A status line on a stream (stderr) after a quiet start: nothing for the first two seconds, then the text and the seconds elapsed. */
export class StatusLine {
    private readonly worker?: Worker;
    private readonly lock = new Int32Array(new SharedArrayBuffer(4));
    private readonly tty: boolean;
    private stopped = false;

    constructor(
        text: string,
        private readonly stream: NodeJS.WriteStream = process.stderr,
        /** Delay before the first line, ms. */
        delay = 2000,
    ) {
        this.tty = stream.isTTY === true;
        const fd = (stream as { fd?: number }).fd;
        if (typeof fd !== "number") return;
        this.worker = new Worker(STATUS_WORKER, { eval: true, workerData: { fd, tty: this.tty, columns: stream.columns || 80, delay, lock: this.lock } });
        this.worker.unref();
        this.update(text);
    }

    /** Changes the text (the seconds are added). */
    update(text: string): void {
        if (!this.stopped) this.worker?.postMessage(text);
    }

    stop(): void {
        if (this.stopped) return;
        this.stopped = true;
        // Wait out a write in progress, then keep the worker from writing again.
        while (Atomics.compareExchange(this.lock, 0, 0, 2) !== 0) Atomics.wait(this.lock, 0, 1, 5);
        if (this.tty) this.stream.write("\r\x1b[2K");
        void this.worker?.terminate();
    }
}

/** Progress of an engine run: resources done / total and the current step. */
export class Progress extends StatusLine {
    private readonly poll: NodeJS.Timeout;

    constructor(
        label: string,
        /** Reads the state to show: done, total (undefined while unknown), the current step. */
        read: () => { done: number; total?: number; current?: string },
        stream: NodeJS.WriteStream = process.stderr,
        delay = 2000,
    ) {
        const text = () => {
            const { done, total, current } = read();
            return `${label}: ${done}${total !== undefined ? `/${total}` : ""} resources done${current ? `, now ${current}` : ""}`;
        };
        super(text(), stream, delay);
        this.poll = setInterval(() => this.update(text()), 250);
        this.poll.unref();
    }

    override stop(): void {
        clearInterval(this.poll);
        super.stop();
    }
}

/** Progress of work in phases ("check prod: running the stack program (4 s)"); `phase` moves it on. */
export class Phases extends StatusLine {
    constructor(
        private readonly label: string,
        stream: NodeJS.WriteStream = process.stderr,
        delay = 2000,
    ) {
        super(`${label}: starting`, stream, delay);
    }

    phase(what: string): void {
        this.update(`${this.label}: ${what}`);
    }
}

/** Runs `work` with a Phases line on stderr, stopped however it ends. */
export async function withPhases<T>(label: string, work: (phase: (what: string) => void) => Promise<T>): Promise<T> {
    const p = new Phases(label);
    try {
        return await work((what) => p.phase(what));
    } finally {
        p.stop();
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
