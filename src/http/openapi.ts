/**
 * The OpenAPI document at /swagger/json and the Swagger page. The swagger plugin derives request
 * bodies from the validation schemas, which accept both key spellings and any extra key, and lists
 * form and text content types the service never parses (it reads JSON itself, see request-body.ts).
 * A route's own `detail.requestBody` therefore replaces the derived one, and only JSON is listed.
 *
 * The plugin's own page loads swagger-ui from a CDN and cannot be pointed elsewhere, and its route
 * cannot be left out, so a hook answers that route with the page from swagger-ui.ts instead.
 */
import { swagger } from '@elysiajs/swagger';
import { Elysia } from 'elysia';
import type { OpenAPIV3 } from 'openapi-types';
import { swaggerUiAssets, swaggerUiPage } from './swagger-ui.ts';

export const PAGE_PATH = '/swagger';
export const SPEC_PATH = '/swagger/json';
const TITLE = 'Challenge Service API';

export interface RouteLike {
  readonly method: string;
  readonly path: string;
  readonly hooks: { readonly detail?: { readonly requestBody?: unknown } };
}

/** `routes` is read when the document is served, once every route is registered. */
export function openApiDocs(routes: () => readonly RouteLike[]) {
  const page = swaggerUiPage({ pagePath: PAGE_PATH, specPath: SPEC_PATH, title: TITLE });
  return new Elysia()
    .onBeforeHandle(({ route }) =>
      route.endsWith(PAGE_PATH)
        ? new Response(page, { headers: { 'content-type': 'text/html; charset=utf-8' } })
        : undefined,
    )
    .onAfterHandle(({ route, responseValue }) =>
      route.endsWith(SPEC_PATH) ? refineDocument(responseValue as OpenAPIV3.Document, routes()) : undefined,
    )
    .use(
      swagger({
        path: PAGE_PATH,
        specPath: SPEC_PATH,
        provider: 'swagger-ui',
        exclude: [PAGE_PATH, SPEC_PATH],
        documentation: {
          info: {
            title: TITLE,
            version: '1.0.0',
            description:
              'Player challenges: goals, progress from game events, reward claims. Compatible with AccelByte Extend Challenge. ' +
              'Any path answers 404 NOT_FOUND when unknown, and 405 METHOD_NOT_ALLOWED (with `Allow`) for a method it does not take.',
          },
          components: {
            securitySchemes: {
              bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
              mockUser: {
                type: 'apiKey',
                in: 'header',
                name: 'x-mock-user-id',
                description: 'The player id, accepted only when the service runs with mock auth',
              },
              accessToken: {
                type: 'apiKey',
                in: 'query',
                name: 'access_token',
                description: 'The bearer token as a query parameter, accepted only by the live stream',
              },
              mockAdmin: {
                type: 'apiKey',
                in: 'header',
                name: 'x-mock-admin-id',
                description:
                  'The admin id for /v1/admin routes, accepted only when the service runs with mock auth',
              },
            },
          },
        },
      }),
    )
    .use(swaggerUiAssets(PAGE_PATH));
}

/** A copy: the plugin keeps its document between requests. */
function refineDocument(document: OpenAPIV3.Document, routes: readonly RouteLike[]): OpenAPIV3.Document {
  const refined = structuredClone(document);
  const documentedBodies = new Map(
    routes.flatMap((route) =>
      route.hooks.detail?.requestBody
        ? [[`${route.method.toLowerCase()} ${toOpenApiPath(route.path)}`, route.hooks.detail.requestBody]]
        : [],
    ),
  );
  for (const [path, item] of Object.entries(refined.paths)) {
    for (const [method, operation] of Object.entries(item ?? {})) {
      if (typeof operation !== 'object' || operation === null || !('responses' in operation)) continue;
      const body = documentedBodies.get(`${method} ${path}`) as OpenAPIV3.RequestBodyObject | undefined;
      if (body) operation.requestBody = body;
      const content = (operation.requestBody as OpenAPIV3.RequestBodyObject | undefined)?.content;
      if (content) {
        for (const type of Object.keys(content)) if (type !== 'application/json') delete content[type];
      }
    }
  }
  return refined;
}

const toOpenApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');
