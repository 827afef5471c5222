/**
 * Folds alias spellings into the camelCase keys and rejects unknown keys, before the structural
 * check: a typo such as `goalID` should be reported as a typo, not as "goalId is required".
 */
import type { ObjectShape } from './challenge-config-schema.ts';
import { ConfigError, formatPath, type PathSegment } from './config-error.ts';

export interface NormalizedDocument {
  readonly value: unknown;
  /** Canonical path (`challenges[0].goals[1].goalId`) → the path as the file spells it (`….goal_id`). */
  readonly spelledPaths: ReadonlyMap<string, string>;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Values that are not objects or arrays where the shape expects them pass through for the structural check. */
export function normalizeKeys(document: unknown, rootShape: ObjectShape, file: string): NormalizedDocument {
  const spelledPaths = new Map<string, string>();

  const visitObject = (value: unknown, shape: ObjectShape, path: readonly PathSegment[]): unknown => {
    if (!isRecord(value)) return value;
    const result: Record<string, unknown> = {};
    const spelling = new Map<string, string>();
    for (const [key, child] of Object.entries(value)) {
      const canonical = shape.aliases[key] ?? (shape.keys.includes(key) ? key : undefined);
      if (canonical === undefined) {
        throw new ConfigError(file, formatPath([...path, key]), unknownKeyReason(key, shape));
      }
      const earlier = spelling.get(canonical);
      if (earlier !== undefined) {
        throw new ConfigError(
          file,
          formatPath([...path, key]),
          `"${key}" and "${earlier}" both set ${canonical}; give only one of ${spellingsOf(canonical, shape)}`,
        );
      }
      spelling.set(canonical, key);
      if (key !== canonical) spelledPaths.set(formatPath([...path, canonical]), formatPath([...path, key]));
      result[canonical] = visitChild(child, shape, canonical, [...path, key]);
    }
    return result;
  };

  const visitChild = (value: unknown, shape: ObjectShape, key: string, path: readonly PathSegment[]) => {
    const objectShape = shape.objects[key];
    if (objectShape) return visitObject(value, objectShape, path);
    const itemShape = shape.arraysOfObjects[key];
    if (itemShape && Array.isArray(value)) {
      return value.map((item: unknown, index) => visitObject(item, itemShape, [...path, index]));
    }
    return value;
  };

  return { value: visitObject(document, rootShape, []), spelledPaths };
}

function spellingsOf(canonical: string, shape: ObjectShape): string {
  const aliases = Object.keys(shape.aliases).filter((alias) => shape.aliases[alias] === canonical);
  return [canonical, ...aliases].map((key) => `"${key}"`).join(', ');
}

function unknownKeyReason(key: string, shape: ObjectShape): string {
  const known = [...shape.keys, ...Object.keys(shape.aliases)];
  const suggestion = closestKey(key, known);
  const hint =
    suggestion === undefined ? `known keys: ${shape.keys.join(', ')}` : `did you mean "${suggestion}"?`;
  return `unknown key "${key}" (${hint})`;
}

/** A known key that differs only in case, separators or by up to two edits; undefined when nothing is that close. */
function closestKey(key: string, known: readonly string[]): string | undefined {
  const squash = (text: string) => text.toLowerCase().replace(/[_\-\s]/g, '');
  const sameLetters = known.find((candidate) => squash(candidate) === squash(key));
  if (sameLetters !== undefined) return sameLetters;
  let best: string | undefined;
  let bestDistance = Math.min(2, Math.floor(key.length / 3));
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance <= bestDistance && (best === undefined || distance < bestDistance)) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Optimal-string-alignment distance: a swap of two neighbours (`nmae`) counts as one edit. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] ?? [];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      row[j] = best;
    }
  }
  return at(a.length, b.length);
}
