// Every rule of the pack, family by family (one module each under rules/).
import type { Rule } from "./framework";
import { rules as data } from "./rules/data";
import { rules as edge } from "./rules/edge";
import { rules as flux } from "./rules/flux";
import { rules as media } from "./rules/media";
import { rules as safety } from "./rules/safety";
import { rules as storage } from "./rules/storage";
import { rules as workloads } from "./rules/workloads";

export const RULES: Rule[] = [...storage, ...flux, ...data, ...workloads, ...edge, ...media, ...safety];
