/**
 * The committed client types are what openapi-typescript makes of the OpenAPI document the app
 * serves now, so a route or schema change cannot leave the CLI (or a game backend using the same
 * file) typed against an older API.
 */
import { expect, test } from 'bun:test';
import { API_TYPES_PATH, generateApiTypes } from '../../scripts/generate-api-types.ts';

/** The first line where the two texts part, to point at the route or field that changed. */
function firstDifference(committed: string, generated: string): string {
  const left = committed.split('\n');
  const right = generated.split('\n');
  const line = left.findIndex((text, i) => text !== right[i]);
  const at = line === -1 ? left.length : line;
  return `line ${at + 1}: committed ${JSON.stringify(left[at] ?? '(end of file)')}, document gives ${JSON.stringify(right[at] ?? '(end of file)')}`;
}

test('src/cli/api-types.ts matches the OpenAPI document at /swagger/json', async () => {
  const committed = await Bun.file(API_TYPES_PATH).text();
  const generated = await generateApiTypes();
  if (committed !== generated)
    throw new Error(
      `src/cli/api-types.ts is out of date with the OpenAPI document: run \`bun run generate:api\` and commit the result (${firstDifference(committed, generated)})`,
    );
  expect(committed).toContain('"/v1/challenges/{challengeId}/goals/{goalId}/claim"');
});
