// Sharded Flux: the FluxShards component and the helpers the policy pack reads its objects with.
export * from "./shards";
export * from "./install";
