// Every operator command, in the order `--help` lists them.
import type { Command } from "../command";
import { capacityReportCommand } from "./capacity";
import { check } from "./check";
import { configValidate } from "./config";
import { destroy, preview, up } from "./deploy";
import { shardsPlan } from "./shards";
import { tenantsRender } from "./tenants";

export const COMMANDS: Command[] = [configValidate, check, capacityReportCommand, up, preview, destroy, shardsPlan, tenantsRender];
