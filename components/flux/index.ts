// Flux: the installation the stack owns and its shards.
export * from "./shards";
export * from "./install";
