// The policy pack: constructs the CrossGuard pack from the rule modules (serving starts at construction).
import { PolicyPack } from "@pulumi/policy";
import { toPolicy } from "./pack";
import { RULES } from "./rules";

new PolicyPack("media-platform", { policies: RULES.map(toPolicy) });
