/** A path into the configuration document: object keys and array indexes, outermost first. */
export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `['challenges', 2, 'goals', 0, 'name']` → `challenges[2].goals[0].name`; odd keys are quoted. */
export function formatPath(segments: readonly PathSegment[]): string {
  let path = '';
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else if (!IDENTIFIER.test(segment)) path += `[${JSON.stringify(segment)}]`;
    else path += path === '' ? segment : `.${segment}`;
  }
  return path;
}

/** A short rendering of an offending value for "(got …)": scalars verbatim, strings quoted, containers by kind. */
export function describeValue(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? '[]' : 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  if (typeof value !== 'string') return String(value);
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * The one error a bad configuration produces. The message is a single line
 * `<file>: <path>: <reason>` (or `<file>: <reason>` when the whole file is at fault), so start-up
 * can print it as is; `file`, `path` and `reason` are kept apart for callers and tests.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly file: string;
  /** `challenges[2].goals[0].requirement.targetValue` style, spelled as the file spells its keys; `''` for the whole file. */
  readonly path: string;
  readonly reason: string;

  constructor(file: string, path: string, reason: string, options?: { cause?: unknown }) {
    super(path === '' ? `${file}: ${reason}` : `${file}: ${path}: ${reason}`, options);
    this.file = file;
    this.path = path;
    this.reason = reason;
  }
}
