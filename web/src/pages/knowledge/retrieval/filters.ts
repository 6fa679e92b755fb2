import type { Schemas } from "../../../api/client";

export type Condition = Schemas["MetadataCondition"];
export type FilterOp = NonNullable<Condition["op"]>;
type Scalar = string | number | boolean;

export const FILTER_OPS: FilterOp[] = ["eq", "ne", "in", "not_in", "contains", "gt", "gte", "lt", "lte", "exists", "not_exists"];

/** Operators that test only whether the key is there: they take no value. */
export const takesValue = (op: FilterOp | undefined) => op !== "exists" && op !== "not_exists";

/** One row of the filter editor, as typed. */
export interface FilterRow {
  key?: string;
  op?: FilterOp;
  value?: string;
}

const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/** A typed value: a number when it reads as one, true/false as booleans, anything else as the text itself. */
export function typedValue(raw: string): Scalar {
  const s = raw.trim();
  if (s === "true") return true;
  if (s === "false") return false;
  if (NUMBER.test(s)) return Number(s);
  return s;
}

/** The conditions the server takes; `in` / `not_in` read comma-separated values, `contains` matches text. */
export function toConditions(rows: FilterRow[] | undefined): Condition[] {
  return (rows ?? []).flatMap((r): Condition[] => {
    const key = r.key?.trim();
    const op = r.op ?? "eq";
    if (!key) return [];
    if (!takesValue(op)) return [{ key, op }];
    const raw = r.value ?? "";
    if (op === "in" || op === "not_in") {
      const values = raw.split(/[,，]/).map((v) => v.trim()).filter((v) => v !== "").map(typedValue);
      return [{ key, op, value: values }];
    }
    return [{ key, op, value: op === "contains" ? raw.trim() : typedValue(raw) }];
  });
}
