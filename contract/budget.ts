// A budget is one capacity limit and how much of it a stack uses: the unit of the capacity summary that
// `check`, `capacity report` and the main job print, and the quantity capacity rules compare.

export interface Budget {
    /** Stable id, e.g. "storage.network.peak". */
    id: string;
    /** What is budgeted, in the operator's words, e.g. "Ceph traffic at peak on storage-a". */
    title: string;
    used: number;
    limit: number;
    /** Unit of used and limit, e.g. "Gbps", "connections", "GiB", "min". */
    unit: string;
    /**
     * How to read used against limit (every kind passes when used ≤ limit). ceiling (default): a use that grows
     * towards its limit; floor: used is the least the stack needs, limit what it has; exact: exactly the limit is
     * right; sized: the stack sizes the limit from the use, so full is by design.
     */
    kind?: BudgetKind;
}

export type BudgetKind = "ceiling" | "floor" | "exact" | "sized";

/** used / limit (Infinity when the limit is 0 and something is used). */
export function utilisation(b: Pick<Budget, "used" | "limit">): number {
    if (b.limit === 0) return b.used === 0 ? 0 : Infinity;
    return b.used / b.limit;
}
