/**
 * A validator for the subset of JSON Schema that `config/provisiond.schema.json` uses, so the
 * one schema file gives defaults, documentation and validation (STYLE.md §6) without another
 * runtime dependency. It reports every problem, each with its JSON path, what was expected and
 * what was found, and fills in defaults.
 */
export interface SchemaNode {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly additionalProperties?: boolean | SchemaNode;
  readonly required?: readonly string[];
  readonly enum?: readonly unknown[];
  readonly pattern?: string;
  readonly minLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly default?: unknown;
  readonly description?: string;
}

export interface Problem {
  readonly path: string;
  readonly expected: string;
  readonly found: string;
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
    case 'number':
      return Number.isInteger(value) ? `the integer ${value}` : `the number ${value}`;
    case 'boolean':
      return `${value}`;
    default:
      return 'an object';
  }
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeMatches(actual: string, wanted: string): boolean {
  return actual === wanted || (wanted === 'number' && actual === 'integer');
}

function childPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/**
 * Validates `value` against `node`; returns the value with defaults filled in (a new object,
 * the input is not modified) and pushes every problem found onto `problems`.
 */
export function validate(node: SchemaNode, value: unknown, path: string, problems: Problem[]): unknown {
  const types = node.type === undefined ? [] : typeof node.type === 'string' ? [node.type] : node.type;
  const actual = typeOf(value);
  if (types.length > 0 && !types.some((wanted) => typeMatches(actual, wanted))) {
    problems.push({ path, expected: types.map(article).join(' or '), found: describeValue(value) });
    return value;
  }
  if (node.enum && !node.enum.includes(value)) {
    problems.push({ path, expected: `one of ${node.enum.map((v) => JSON.stringify(v)).join(', ')}`, found: describeValue(value) });
  }
  if (typeof value === 'string') checkString(node, value, path, problems);
  if (typeof value === 'number') checkNumber(node, value, path, problems);
  if (actual === 'object') return validateObject(node, value as Record<string, unknown>, path, problems);
  return value;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function checkString(node: SchemaNode, value: string, path: string, problems: Problem[]): void {
  if (node.minLength !== undefined && value.length < node.minLength) {
    problems.push({ path, expected: `a string of at least ${node.minLength} character(s)`, found: describeValue(value) });
  }
  if (node.pattern !== undefined && !new RegExp(node.pattern).test(value)) {
    problems.push({ path, expected: `a string matching ${node.pattern}`, found: describeValue(value) });
  }
}

function checkNumber(node: SchemaNode, value: number, path: string, problems: Problem[]): void {
  if (node.minimum !== undefined && value < node.minimum) {
    problems.push({ path, expected: `a value of at least ${node.minimum}`, found: describeValue(value) });
  }
  if (node.maximum !== undefined && value > node.maximum) {
    problems.push({ path, expected: `a value of at most ${node.maximum}`, found: describeValue(value) });
  }
}

function validateObject(node: SchemaNode, value: Record<string, unknown>, path: string, problems: Problem[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const properties = node.properties ?? {};
  for (const key of node.required ?? []) {
    if (!(key in value)) problems.push({ path: childPath(path, key), expected: 'a value (this key is required)', found: 'nothing' });
  }
  for (const [key, child] of Object.entries(value)) {
    const known = properties[key];
    if (known) {
      out[key] = validate(known, child, childPath(path, key), problems);
    } else if (node.additionalProperties === false) {
      const names = Object.keys(properties);
      problems.push({ path: childPath(path, key), expected: `no such key (known keys: ${names.join(', ')})`, found: 'an unknown key' });
    } else if (typeof node.additionalProperties === 'object') {
      out[key] = validate(node.additionalProperties, child, childPath(path, key), problems);
    } else {
      out[key] = child;
    }
  }
  for (const [key, child] of Object.entries(properties)) {
    if (key in out || child.default === undefined) continue;
    out[key] = validate(child, structuredClone(child.default), childPath(path, key), problems);
  }
  return out;
}
