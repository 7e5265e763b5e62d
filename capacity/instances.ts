// The EC2 instance catalog: every instance type a stack may name, with the figures capacity needs.
// Only the *baseline* bandwidth counts for capacity: sizes 4xlarge and smaller are "up to" a burst rate
// that lasts minutes on network I/O credits (AWS user guide, "Amazon EC2 instance network bandwidth").
// AWS applies the bandwidth to inbound and to outbound traffic separately (same page).
//
// Sources, cited per row by key:
//   gp  — AWS EC2 user guide, "General purpose instances" (hardware specs, network performance, baseline table),
//         awsdocs/amazon-ec2-user-guide doc_source/general-purpose-instances.md, last published 2023-06.
//   co  — same guide, "Compute optimized instances" (doc_source/compute-optimized-instances.md, 2023-06).
//   so  — same guide, "Storage optimized instances" (doc_source/storage-optimized-instances.md, 2023-06).
//   is  — same guide, "Instance store volumes" table (doc_source/InstanceStorage.md, 2023-06).
//   facts — same guide, "Amazon EC2 instance network bandwidth" (baseline and burst figures as published in 2023).

export type Arch = "amd64" | "arm64";

/** One EC2 instance type as the capacity model sees it. */
export interface InstanceType {
    name: string;
    arch: Arch;
    vcpu: number;
    memoryGiB: number;
    /** Sustained bandwidth in Gbps per direction: what capacity counts. */
    baselineGbps: number;
    /** Burst ceiling in Gbps (equal to the baseline for sizes without burst). Never used for capacity. */
    burstGbps: number;
    /** Local NVMe instance-store disks (decimal GB as AWS lists them); empty for EBS-only types. */
    nvme: { count: number; sizeGB: number };
    /** Where each figure comes from (keys above). */
    source: { cpuMemory: string; bandwidth: string; nvme?: string };
}

const EBS_ONLY = { count: 0, sizeGB: 0 };

function row(
    name: string,
    arch: Arch,
    vcpu: number,
    memoryGiB: number,
    baselineGbps: number,
    burstGbps: number,
    nvme: { count: number; sizeGB: number },
    source: InstanceType["source"],
): InstanceType {
    return { name, arch, vcpu, memoryGiB, baselineGbps, burstGbps, nvme, source };
}

const GP = { cpuMemory: "gp", bandwidth: "gp+facts" };
const CO = { cpuMemory: "co", bandwidth: "co+facts" };
const SO = { cpuMemory: "so", bandwidth: "so+facts", nvme: "is" };

/** Every instance type the platform accepts, keyed by name. */
export const INSTANCE_CATALOG: Readonly<Record<string, InstanceType>> = Object.freeze(
    Object.fromEntries(
        [
            // General purpose, x86: m6in (network-optimised Ice Lake): baseline 6.25/12.5/25, burst 30/40/50.
            row("m6in.large", "amd64", 2, 8, 3.125, 25, EBS_ONLY, GP),
            row("m6in.xlarge", "amd64", 4, 16, 6.25, 30, EBS_ONLY, GP),
            row("m6in.2xlarge", "amd64", 8, 32, 12.5, 40, EBS_ONLY, GP),
            row("m6in.4xlarge", "amd64", 16, 64, 25, 50, EBS_ONLY, GP),
            // Burst-only examples (facts.md): a low baseline behind a headline "up to" figure.
            row("m6i.large", "amd64", 2, 8, 0.781, 12.5, EBS_ONLY, GP),
            row("m6g.large", "arm64", 2, 8, 0.75, 10, EBS_ONLY, GP),
            row("m7g.large", "arm64", 2, 8, 0.937, 12.5, EBS_ONLY, GP),
            // Compute optimised, arm64 (Graviton2, network-optimised): baseline 6.3/12.5, burst 25.
            row("c6gn.xlarge", "arm64", 4, 8, 6.3, 25, EBS_ONLY, CO),
            row("c6gn.2xlarge", "arm64", 8, 16, 12.5, 25, EBS_ONLY, CO),
            // Storage optimised, arm64: im4gn (1 NVMe disk up to 4xlarge), is4gen (dense).
            row("im4gn.large", "arm64", 2, 8, 3.125, 25, { count: 1, sizeGB: 937 }, SO),
            row("im4gn.xlarge", "arm64", 4, 16, 6.25, 25, { count: 1, sizeGB: 1875 }, SO),
            row("im4gn.2xlarge", "arm64", 8, 32, 12.5, 25, { count: 1, sizeGB: 3750 }, SO),
            row("im4gn.4xlarge", "arm64", 16, 64, 25, 25, { count: 1, sizeGB: 7500 }, SO),
            row("is4gen.xlarge", "arm64", 4, 24, 6.25, 25, { count: 1, sizeGB: 3750 }, SO),
            row("is4gen.2xlarge", "arm64", 8, 48, 12.5, 25, { count: 1, sizeGB: 7500 }, SO),
            row("is4gen.4xlarge", "arm64", 16, 96, 25, 25, { count: 2, sizeGB: 7500 }, SO),
            row("i4g.4xlarge", "arm64", 16, 128, 9.375, 25, { count: 1, sizeGB: 3750 }, SO),
            row("i4g.8xlarge", "arm64", 32, 256, 18.75, 18.75, { count: 2, sizeGB: 3750 }, SO),
            // Storage optimised, x86.
            row("i4i.4xlarge", "amd64", 16, 128, 9.375, 25, { count: 1, sizeGB: 3750 }, SO),
            row("i4i.8xlarge", "amd64", 32, 256, 18.75, 18.75, { count: 2, sizeGB: 3750 }, SO),
            row("i3en.2xlarge", "amd64", 8, 64, 8.4, 25, { count: 2, sizeGB: 2500 }, SO),
            row("i3en.3xlarge", "amd64", 12, 96, 12.5, 25, { count: 1, sizeGB: 7500 }, SO),
            row("i3en.6xlarge", "amd64", 24, 192, 25, 25, { count: 2, sizeGB: 7500 }, SO),
        ].map((t) => [t.name, t]),
    ),
);

/** The catalog's instance type names, sorted (for error messages and CLI listings). */
export function instanceTypeNames(): string[] {
    return Object.keys(INSTANCE_CATALOG).sort();
}

/** The catalog row for a type, or undefined when the catalog does not list it. */
export function findInstanceType(name: string): InstanceType | undefined {
    return Object.prototype.hasOwnProperty.call(INSTANCE_CATALOG, name) ? INSTANCE_CATALOG[name] : undefined;
}

/** The catalog row for a type; throws naming the type when it is unknown (use config validation first). */
export function instanceType(name: string): InstanceType {
    const t = findInstanceType(name);
    if (!t) throw new Error(`unknown instance type ${JSON.stringify(name)}: expected one of ${instanceTypeNames().join(", ")}`);
    return t;
}

/** Decimal GB (as AWS lists instance store) → GiB (as Kubernetes and Ceph count). */
export function gbToGiB(gb: number): number {
    return (gb * 1e9) / 2 ** 30;
}

/** Architectures a workload may run on: amd64 only unless its image is declared multi-arch. */
export function allowedArchs(multiArch: boolean, wanted: readonly Arch[] = ["amd64", "arm64"]): Arch[] {
    return multiArch ? [...wanted] : wanted.filter((a) => a === "amd64");
}
