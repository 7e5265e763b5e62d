// A registered resource as the program hands it to the policy pack: what the engine sends an analyzer (its type,
// name, inputs, protect, parent, provider), and the one marker for a value not known during a preview.

/** A registered resource as a rule sees it: the engine's view (inputs, protect, parent, provider). */
export interface PolicyResource {
    urn: string;
    /** Type token, e.g. `kubernetes:apps/v1:Deployment`, `kubernetes:ceph.rook.io/v1:CephCluster`. */
    type: string;
    /** Logical (Pulumi) name. */
    name: string;
    /** Inputs; a value not known during preview is UNKNOWN (see isUnknown). */
    props: Record<string, any>;
    protect: boolean;
    parent?: string;
    dependencies: string[];
    provider?: { urn: string; type: string; name: string };
}

/**
 * A value not known during a preview. The pack and the offline runner replace whatever their SDK gives them for
 * one (an unknown-checking proxy's error, the mocks' unknown marker) by this string, so a rule can see it in
 * plain JSON and report it instead of passing it.
 */
export const UNKNOWN = "<unknown during preview>";

export function isUnknown(v: unknown): boolean {
    return v === UNKNOWN;
}
