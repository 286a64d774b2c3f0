// A checker for the JSON Schema subset src/http/openapi.ts uses (type incl. type arrays, enum,
// properties, required, items, $ref, format date-time), so the tests hold the real responses against
// the published description without a validator dependency. Returns the problems found, [] if none.
type Schema = Record<string, unknown>;

export function checkSchema(value: unknown, schema: Schema, root: Schema, at = '$'): string[] {
  if (typeof schema.$ref === 'string') {
    const target = schema.$ref.replace(/^#\//, '').split('/').reduce<unknown>((o, k) => (o as Schema)[k], root) as Schema;
    if (!target) return [`${at}: unresolved ${schema.$ref}`];
    return checkSchema(value, target, root, at);
  }
  const problems: string[] = [];
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => is(value, t))) return [`${at}: expected ${types.join('|')}, got ${JSON.stringify(value)?.slice(0, 80)}`];
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) problems.push(`${at}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
  if (schema.format === 'date-time' && typeof value === 'string' && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(value)) {
    problems.push(`${at}: "${value}" is not an ISO date-time`);
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    for (const k of (schema.required as string[] | undefined) ?? []) if (!(k in o)) problems.push(`${at}.${k}: missing`);
    const props = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [k, s] of Object.entries(props)) if (k in o) problems.push(...checkSchema(o[k], s, root, `${at}.${k}`));
  }
  if (Array.isArray(value) && schema.items) value.forEach((v, i) => problems.push(...checkSchema(v, schema.items as Schema, root, `${at}[${i}]`)));
  return problems;
}

function is(v: unknown, t: string): boolean {
  switch (t) {
    case 'null': return v === null;
    case 'integer': return Number.isInteger(v);
    case 'number': return typeof v === 'number' && Number.isFinite(v);
    case 'array': return Array.isArray(v);
    case 'object': return v !== null && typeof v === 'object' && !Array.isArray(v);
    default: return typeof v === t;
  }
}

/** The schema the OpenAPI document gives for a path, method and status. */
export function responseSchema(doc: Schema, path: string, method: string, status: number): Schema {
  const op = ((doc.paths as Schema)[path] as Schema)?.[method] as Schema | undefined;
  const res = (op?.responses as Schema | undefined)?.[String(status)] as Schema | undefined;
  const schema = ((res?.content as Schema | undefined)?.['application/json'] as Schema | undefined)?.schema as Schema | undefined;
  if (!schema) throw new Error(`openapi.json documents no JSON response ${status} for ${method.toUpperCase()} ${path}`);
  return schema;
}
