/**
 * The OpenAPI document at /swagger/json is valid OpenAPI, lists exactly the registered routes, and
 * tells the truth about bodies, integers, enums, security and error answers.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { OpenAPIV3 } from 'openapi-types';
import { createAdminAuthorizer, createAuthenticator } from '../../src/auth/index.ts';
import { createApp } from '../../src/http/app.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createTestApp } from '../helpers/test-app.ts';

const unused = () => Promise.reject(new Error('unused'));
const app = createApp({
  basePath: '',
  authenticate: createAuthenticator({ mode: 'mock' }),
  queries: { listChallenges: unused, getChallenge: unused },
  assignment: { initialize: unused, setActive: unused },
  selection: { batchSelect: unused, randomSelect: unused },
  rotation: { getRotation: unused },
  erasure: { erasePlayer: unused },
  authorizeAdmin: createAdminAuthorizer({
    mode: 'mock',
    authenticate: createAuthenticator({ mode: 'mock' }),
    namespace: 'ns',
  }),
  configAdmin: { get: unused, validate: unused, apply: unused },
  auditTrail: { playerEntries: unused, goalHistory: unused },
  outboxAdmin: { parked: unused, redeliver: unused },
  streams: { open: unused, openStreams: () => 0, stop: async () => {} },
  adminPlayers: {
    challenges: unused,
    events: unused,
    setProgress: unused,
    complete: unused,
    reset: unused,
    claim: unused,
    erase: unused,
  },
  claimReward: unused,
  checkDatabase: unused,
  metrics: createMetrics({ defaultMetrics: false }),
  logger: createLogger('fatal'),
});
const service = await createTestApp();
const response = await app.handle(new Request('http://localhost/swagger/json'));
const document = (await response.json()) as OpenAPIV3.Document;

const operations = Object.entries(document.paths).flatMap(([path, item]) =>
  Object.entries(item ?? {}).flatMap(([method, operation]) =>
    typeof operation === 'object' && operation !== null && 'responses' in operation
      ? [{ route: `${method.toUpperCase()} ${path}`, operation: operation as OpenAPIV3.OperationObject }]
      : [],
  ),
);

/** Every schema object in the document with the property path it sits at. */
function schemasOf(node: unknown, at = '#'): Array<{ at: string; schema: Record<string, unknown> }> {
  if (typeof node !== 'object' || node === null) return [];
  const found: Array<{ at: string; schema: Record<string, unknown> }> = [];
  const record = node as Record<string, unknown>;
  if (typeof record['type'] === 'string' || 'anyOf' in record || 'const' in record || 'enum' in record)
    found.push({ at, schema: record });
  for (const [key, value] of Object.entries(record)) found.push(...schemasOf(value, `${at}/${key}`));
  return found;
}

const propertyOf = (schema: unknown, name: string): Record<string, unknown> | undefined =>
  (schema as { properties?: Record<string, Record<string, unknown>> }).properties?.[name];

/** The schema of a property reached through objects and array items, e.g. `challenges.goals.progress`. */
function schemaAt(schema: unknown, path: string): Record<string, unknown> | undefined {
  let current = schema as Record<string, unknown> | undefined;
  for (const name of path.split('.')) {
    while (current?.['type'] === 'array') current = current['items'] as Record<string, unknown>;
    current = current ? propertyOf(current, name) : undefined;
  }
  return current;
}

const jsonSchema = (content: OpenAPIV3.ResponseObject['content']) =>
  content?.['application/json']?.schema as OpenAPIV3.SchemaObject | undefined;

function operationOf(route: string): OpenAPIV3.OperationObject {
  const found = operations.find((entry) => entry.route === route);
  if (!found) throw new Error(`the document has no ${route}`);
  return found.operation;
}

const okSchema = (route: string) =>
  jsonSchema((operationOf(route).responses['200'] as OpenAPIV3.ResponseObject).content);

describe('the OpenAPI document', () => {
  test('is served as JSON and is valid OpenAPI', async () => {
    expect(response.status).toBe(200);
    const result = await new Validator().validate(document as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  test("lists exactly the app's registered routes and methods", () => {
    const registered = app.routes
      .filter((route) => !route.path.startsWith('/swagger'))
      .map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`)
      .sort();
    expect(operations.map((entry) => entry.route).sort()).toEqual(registered);
  });

  test('lists only application/json request bodies, with each alias only in the description', () => {
    // A configuration upload is a whole free-form document, checked by the configuration rules.
    const isConfigUpload = (route: string) => route.includes('/v1/admin/config');
    const uploads = operations.filter((entry) => entry.operation.requestBody && isConfigUpload(entry.route));
    expect(uploads.map((entry) => entry.route).sort()).toEqual([
      'POST /v1/admin/config/validate',
      'PUT /v1/admin/config',
    ]);
    for (const { operation } of uploads)
      expect(Object.keys((operation.requestBody as OpenAPIV3.RequestBodyObject).content)).toEqual([
        'application/json',
      ]);
    const withBody = operations.filter(
      (entry) => entry.operation.requestBody && !isConfigUpload(entry.route),
    );
    // Player bodies take snake_case aliases of their keys; the admin body has none.
    const aliased = [
      'POST /v1/challenges/{challengeId}/goals/batch-select',
      'POST /v1/challenges/{challengeId}/goals/random-select',
      'PUT /v1/challenges/{challengeId}/goals/{goalId}/active',
    ];
    expect(withBody.map((entry) => entry.route).sort()).toEqual([
      ...aliased.slice(0, 2),
      'PUT /v1/admin/users/{userId}/goals/{goalId}/progress',
      ...aliased.slice(2),
    ]);
    for (const { route, operation } of withBody) {
      const body = operation.requestBody as OpenAPIV3.RequestBodyObject;
      expect({ route, types: Object.keys(body.content) }).toEqual({ route, types: ['application/json'] });
      const schema = jsonSchema(body.content) as OpenAPIV3.SchemaObject;
      const keys = Object.keys(schema.properties ?? {});
      // Swagger UI builds its example from the listed properties: additionalProperties would add
      // `additionalProp1`, and an alias would put both spellings of a key into one example.
      expect({ route, additional: schema.additionalProperties }).toEqual({ route, additional: undefined });
      expect({ route, snake: keys.filter((key) => key.includes('_')) }).toEqual({ route, snake: [] });
      if (aliased.includes(route)) expect(schema.description).toMatch(/spelled `\w+_\w+`/);
    }
  });

  test('documents integer fields as integers, with no numeric-string alternative', () => {
    const integers: Array<[string, string]> = [
      ['GET /v1/challenges', 'challenges.goals.progress'],
      ['GET /v1/challenges', 'challenges.goals.expiresInSeconds'],
      ['GET /v1/challenges', 'challenges.goals.requirement.targetValue'],
      ['GET /v1/challenges', 'challenges.goals.reward.quantity'],
      ['POST /v1/challenges/initialize', 'newAssignments'],
      ['POST /v1/challenges/initialize', 'totalActive'],
      ['POST /v1/challenges/initialize', 'assignedGoals.target'],
      ['POST /v1/challenges/{challengeId}/goals/batch-select', 'totalActiveGoals'],
      ['GET /v1/admin/users/{userId}/challenges', 'challenges.goals.stored.progress'],
      ['GET /v1/admin/users/{userId}/challenges', 'challenges.goals.stored.baselineValue'],
      ['PUT /v1/admin/users/{userId}/goals/{goalId}/progress', 'effect.from.progress'],
      ['GET /v1/challenges/{challengeId}/goals/{goalId}/history', 'entries.goals.to.progress'],
      ['GET /v1/challenges/{challengeId}/rotation', 'rotation.currentPeriod.expiresInSeconds'],
    ];
    for (const [route, path] of integers)
      expect({ route, path, type: schemaAt(okSchema(route), path)?.['type'] }).toEqual({
        route,
        path,
        type: 'integer',
      });
    const random = operationOf('POST /v1/challenges/{challengeId}/goals/random-select');
    const body = jsonSchema((random.requestBody as OpenAPIV3.RequestBodyObject).content);
    expect(propertyOf(body, 'count')).toMatchObject({ type: 'integer', minimum: 1 });
    for (const { at, schema } of schemasOf(document.paths))
      expect({ at, format: schema['format'] }).toEqual({ at, format: undefined });
  });

  test('lists enums: goal status, reward type, error codes', () => {
    expect(schemaAt(okSchema('GET /v1/challenges'), 'challenges.goals.status')?.['enum']).toEqual([
      'not_started',
      'in_progress',
      'completed',
      'claimed',
    ]);
    expect(schemaAt(okSchema('GET /v1/challenges'), 'challenges.goals.reward.type')?.['enum']).toEqual([
      'ITEM',
      'WALLET',
    ]);
    const claim = operationOf('POST /v1/challenges/{challengeId}/goals/{goalId}/claim');
    const error = jsonSchema((claim.responses['409'] as OpenAPIV3.ResponseObject).content);
    expect(propertyOf(error, 'error')?.['enum']).toContain('GOAL_ALREADY_CLAIMED');
    expect(propertyOf(error, 'code')?.['type']).toBe('integer');
    for (const { at, schema } of schemasOf(document.paths)) {
      expect({ at, const: schema['const'] }).toEqual({ at, const: undefined });
      expect({ at, anyOf: schema['anyOf'] }).toEqual({ at, anyOf: undefined });
    }
  });

  test('offers the mock-mode headers as security schemes beside the bearer token', () => {
    expect(document.components?.securitySchemes).toEqual({
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      mockUser: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-mock-user-id' }),
      mockAdmin: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-mock-admin-id' }),
      accessToken: expect.objectContaining({ type: 'apiKey', in: 'query', name: 'access_token' }),
    });
    // Only the live stream takes the token in the query (browsers' EventSource cannot send headers).
    const stream = 'GET /v1/challenges/stream';
    for (const { route, operation } of operations.filter((entry) => entry.route.includes(' /v1/')))
      expect({ route, security: operation.security }).toEqual({
        route,
        security: [
          { bearer: [] },
          route.includes(' /v1/admin/') ? { mockAdmin: [] } : { mockUser: [] },
          ...(route === stream ? [{ accessToken: [] }] : []),
        ],
      });
  });

  test('documents the live stream: an event stream, Last-Event-ID, and the query token', () => {
    const operation = operationOf('GET /v1/challenges/stream');
    const ok = operation.responses['200'] as OpenAPIV3.ResponseObject;
    expect(Object.keys(ok.content ?? {})).toEqual(['text/event-stream']);
    const parameters = (operation.parameters ?? []) as OpenAPIV3.ParameterObject[];
    expect(parameters.map((parameter) => `${parameter.in} ${parameter.name}`).sort()).toEqual([
      'header Last-Event-ID',
      'query access_token',
      'query active_only',
      'query last_event_id',
    ]);
  });

  test('documents the error answers of each route with the error schema', () => {
    const expected: Record<string, number[]> = {
      'GET /healthz': [413, 500, 503],
      'GET /metrics': [413, 500],
      'GET /v1/challenges': [400, 401, 413, 500, 503],
      'GET /v1/challenges/stream': [400, 401, 413, 429, 500, 503],
      'POST /v1/challenges/initialize': [400, 401, 413, 500, 503],
      'GET /v1/challenges/{challengeId}': [400, 401, 404, 413, 500, 503],
      'PUT /v1/challenges/{challengeId}/goals/{goalId}/active': [400, 401, 404, 413, 500, 503],
      'POST /v1/challenges/{challengeId}/goals/{goalId}/claim': [400, 401, 404, 409, 413, 500, 502, 503],
      'GET /v1/challenges/{challengeId}/rotation': [401, 404, 413, 500, 503],
      'POST /v1/challenges/{challengeId}/goals/batch-select': [400, 401, 404, 413, 500, 503],
      'POST /v1/challenges/{challengeId}/goals/random-select': [400, 401, 404, 413, 500, 503],
      'DELETE /v1/users/me/data': [400, 401, 413, 429, 500, 503],
      'GET /v1/admin/config': [401, 403, 413, 500, 503],
      'POST /v1/admin/config/validate': [400, 401, 403, 413, 500, 503],
      'PUT /v1/admin/config': [400, 401, 403, 413, 500, 503],
      'GET /v1/challenges/{challengeId}/goals/{goalId}/history': [400, 401, 404, 413, 500, 503],
      'GET /v1/admin/users/{userId}/challenges': [400, 401, 403, 413, 500, 503],
      'GET /v1/admin/users/{userId}/events': [400, 401, 403, 413, 500, 503],
      'PUT /v1/admin/users/{userId}/goals/{goalId}/progress': [400, 401, 403, 404, 409, 413, 500, 503],
      'POST /v1/admin/users/{userId}/goals/{goalId}/reset': [400, 401, 403, 404, 413, 500, 503],
      'POST /v1/admin/users/{userId}/goals/{goalId}/complete': [400, 401, 403, 404, 409, 413, 500, 503],
      'POST /v1/admin/users/{userId}/goals/{goalId}/claim': [400, 401, 403, 404, 409, 413, 500, 502, 503],
      'DELETE /v1/admin/users/{userId}': [400, 401, 403, 413, 500, 503],
      'GET /v1/admin/outbox/parked': [400, 401, 403, 413, 500, 503],
      'POST /v1/admin/outbox/{id}/redeliver': [400, 401, 403, 404, 413, 500, 503],
    };
    for (const { route, operation } of operations) {
      const errors = Object.keys(operation.responses)
        .map(Number)
        .filter((status) => status >= 400);
      expect({ route, errors }).toEqual({ route, errors: expected[route] ?? [] });
      for (const status of errors) {
        const schema = jsonSchema((operation.responses[String(status)] as OpenAPIV3.ResponseObject).content);
        expect({ route, status, required: schema?.required }).toEqual({
          route,
          status,
          required: ['error', 'code', 'message', 'details'],
        });
      }
    }
  });
});

describe('the routes answer what the document lists', () => {
  afterAll(() => service.close());

  test('claim still takes an empty body, and DELETE /v1/users/me/data a malformed one is 400', async () => {
    const claim = await service.request('POST', '/v1/challenges/nope/goals/nope/claim', { user: 'doc-user' });
    expect(claim.status).toBe(404);
    const erase = await service.request('DELETE', '/v1/users/me/data', { user: 'doc-user', body: '{' });
    expect(erase.status).toBe(400);
    const metrics = await service.request('GET', '/metrics', { headers: { 'content-length': '70000' } });
    expect(metrics.status).toBe(413);
  });
});
