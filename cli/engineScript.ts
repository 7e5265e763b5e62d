// Reading scripts/engine/build.sh's own failure report (its "[engine] <binary> unavailable: <reason>" lines),
// so the operator and the end-to-end runner can say which binary is missing and why.

/** One binary the engine script could not provide, and why (the Go module proxy's answer, say). */
export interface MissingBinary {
    binary: string;
    reason: string;
}

/** The script's failure: each missing binary (last word wins) and its "What to do" advice. */
export function parseEngineFailure(log: string): { missing: MissingBinary[]; advice: string } {
    const byBinary = new Map<string, string>();
    for (const m of log.matchAll(/^\[engine\] (\S+) unavailable: (.*)$/gm)) byBinary.set(m[1], m[2].trim());
    const advice = /^\[engine\] What to do: ([\s\S]*?)(?=^\[engine\]|(?![\s\S]))/m.exec(log)?.[1].trim() ?? "";
    let missing = [...byBinary].map(([binary, reason]) => ({ binary, reason }));
    if (missing.length === 0) {
        const lines = log.trim().split("\n").filter((l) => l.trim() !== "");
        const error = lines.filter((l) => l.includes("ERROR")).pop() ?? lines.pop() ?? "scripts/engine/env.sh failed without a message";
        missing = [{ binary: "engine", reason: error.replace(/^\[engine\] (ERROR: )?/, "") }];
    }
    return { missing, advice };
}
