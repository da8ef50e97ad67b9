// Export values -> contract input, driven by the zod schema of each event's `data`: snake_case columns
// become camelCase fields, CSV text becomes numbers, booleans, arrays and objects where the contract
// wants them (arrays and objects as JSON text), an empty CSV cell is an absent field, and a nested
// object may come as one JSON column or flattened (`feedback.teacher_rating`, `feedback_teacher_rating`
// or bare `teacher_rating`). Values the contract would refuse are passed on unchanged for it to report.
import type { z } from 'zod';

type Schema = z.core.$ZodType;
type Def = {
  type: string;
  innerType?: Schema;
  in?: Schema;
  element?: Schema;
  shape?: Record<string, Schema>;
};

const defOf = (schema: Schema): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The schema under optional/nullable/default/pipe wrappers (a pipe's input side). */
function unwrap(schema: Schema): Schema {
  let current = schema;
  for (;;) {
    const def = defOf(current);
    if (def.type === 'optional' || def.type === 'nullable' || def.type === 'default')
      current = def.innerType!;
    else if (def.type === 'pipe') current = def.in!;
    else return current;
  }
}

function shapeOf(schema: Schema): Record<string, Schema> {
  return (schema as unknown as { shape: Record<string, Schema> }).shape;
}

export const snake = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One value: `csv` when it is still the text of a CSV cell. */
export function convertValue(schema: Schema, value: unknown, csv: boolean): unknown {
  if (value === undefined || value === null) return undefined;
  const target = unwrap(schema);
  const type = defOf(target).type;
  if (csv && typeof value === 'string') {
    if (value.trim() === '') return undefined;
    if (type === 'number' || type === 'int') return NUMBER.test(value.trim()) ? Number(value) : value;
    if (type === 'boolean') return { true: true, false: false }[value.trim().toLowerCase()] ?? value;
    if (type === 'array' || type === 'object' || type === 'record') {
      try {
        return convertValue(schema, JSON.parse(value), false);
      } catch {
        return value;
      }
    }
    return value;
  }
  if (type === 'object' && isPlainObject(value)) return convertObject(target, value, false);
  if (type === 'array' && Array.isArray(value))
    return value.map((v) => convertValue(defOf(target).element!, v, false));
  return value;
}

/**
 * A source row (CSV columns or a JSON object) as the input of `schema` (a zod object). `aliases` name
 * other source columns of a field (`userId: ['id']`).
 */
export function convertObject(
  schema: Schema,
  source: Record<string, unknown>,
  csv: boolean,
  aliases: Record<string, readonly string[]> = {},
): Record<string, unknown> {
  const shape = shapeOf(schema);
  const out: Record<string, unknown> = {};
  for (const [field, fieldSchema] of Object.entries(shape)) {
    const names = [snake(field), field, ...(aliases[field] ?? [])];
    let value: unknown = undefined;
    for (const name of names) {
      if (source[name] !== undefined && !(csv && source[name] === '')) {
        value = source[name];
        break;
      }
    }
    const inner = unwrap(fieldSchema);
    if (value === undefined && csv && defOf(inner).type === 'object') {
      value = flattened(inner, source, snake(field), new Set(Object.keys(shape).map(snake)));
    }
    const converted =
      value !== undefined && csv && isPlainObject(value) ? value : convertValue(fieldSchema, value, csv);
    if (converted !== undefined) out[field] = converted;
  }
  return out;
}

/** A nested object given as flattened CSV columns, or undefined when none of its columns is set. */
function flattened(
  schema: Schema,
  source: Record<string, unknown>,
  prefix: string,
  topLevel: ReadonlySet<string>,
): Record<string, unknown> | undefined {
  const sub: Record<string, unknown> = {};
  for (const field of Object.keys(shapeOf(schema))) {
    const name = snake(field);
    const candidates = [`${prefix}.${name}`, `${prefix}_${name}`, ...(topLevel.has(name) ? [] : [name])];
    const column = candidates.find((c) => typeof source[c] === 'string' && source[c] !== '');
    if (column) sub[name] = source[column];
  }
  return Object.keys(sub).length > 0 ? convertObject(schema, sub, true) : undefined;
}
