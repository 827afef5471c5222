/**
 * The Swagger UI page, with its script and stylesheet served by the service itself, so the page
 * works on a machine without internet access. The assets come from the pinned swagger-ui-dist
 * package; imported as files, they are embedded in the `bun build --compile` binary.
 */

import { Elysia } from 'elysia';
import stylesheetPath from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' };
import bundlePath from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' };

/** Asset file names, served beside the page under `<pagePath>/`. */
const ASSETS = {
  'swagger-ui-bundle.js': { path: bundlePath, type: 'text/javascript; charset=utf-8' },
  'swagger-ui.css': { path: stylesheetPath, type: 'text/css; charset=utf-8' },
} as const;

/**
 * `pagePath` and `specPath` are route paths one level below the app's prefix (`/swagger`). The
 * page refers to its assets and the document relative to itself, so it works under any `BASE_PATH`.
 */
export function swaggerUiPage(options: { pagePath: string; specPath: string; title: string }): string {
  const base = relative(options.pagePath);
  const config = {
    url: relative(options.specPath),
    dom_id: '#swagger-ui',
    // The default validator badge would send the document to an outside validator.
    validatorUrl: null,
  };
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <title>${escapeHtml(options.title)}</title>
  <link rel="stylesheet" href="${base}/swagger-ui.css" />
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${base}/swagger-ui-bundle.js"></script>
  <script>window.ui = SwaggerUIBundle(${JSON.stringify(config)});</script>
</body>
</html>`;
}

/** Routes for the page's assets; hidden from the OpenAPI document. */
export function swaggerUiAssets(pagePath: string) {
  let app = new Elysia();
  for (const [name, asset] of Object.entries(ASSETS)) {
    app = app.get(
      `${pagePath}/${name}`,
      () => new Response(Bun.file(asset.path), { headers: { 'content-type': asset.type } }),
      { detail: { hide: true } },
    );
  }
  return app;
}

const relative = (path: string) => path.replace(/^\//, '');

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"]/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[char] ?? char,
  );
