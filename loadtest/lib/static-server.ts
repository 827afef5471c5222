/**
 * The HTTP ceiling: an Elysia app that answers `GET /v1/challenges` with a fixed body exactly as
 * large as the service's answer for a fresh player of the load-test workload (rendered by the
 * service's own renderer), and `POST /v1/challenges/initialize` with a fixed small body. Run as
 * its own process; prints the port it listens on.
 */
import { Elysia } from 'elysia';
import { parseChallengeConfig } from '../../src/config/challenge-config.ts';
import { createCatalog } from '../../src/domain/catalog.ts';
import { textOf } from '../../src/services/byte-builder.ts';
import { createChallengeRenderer } from '../../src/services/goal-json.ts';
import { generateChallengeConfig } from './workload.ts';

const catalog = createCatalog(parseChallengeConfig(generateChallengeConfig({ auditGoal: true }), 'workload'));
const list = textOf(createChallengeRenderer(catalog).renderList([], false, new Date()));
const initialized = JSON.stringify({ assignedGoals: [], newlyAssigned: 0, totalActive: 0 });
const json = { 'content-type': 'application/json' };

const app = new Elysia()
  .get('/healthz', () => ({ status: 'healthy' }))
  .get('/v1/challenges', () => new Response(list, { headers: json }))
  .post('/v1/challenges/initialize', () => new Response(initialized, { headers: json }))
  .listen({ hostname: '127.0.0.1', port: 0 });
console.log(app.server?.port);
process.on('SIGTERM', () => process.exit(0));
