/** An object without its undefined values (optional fields absent from JSONB rather than null). */
export function compact(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined));
}

/** Values in first-seen order, each once. */
export function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}
