// The containai guardrails policy pack (CrossGuard). Run with:
//   pulumi preview --policy-pack policy          (after `npm run build`)
// Policies and their checks: policy/rules.ts. Docs: docs/fleet.md#policies.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./rules";

new PolicyPack("containai-guardrails", { policies });
