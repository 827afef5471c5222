/**
 * One scenario's run against one target: starts (or connects to) the service, samples resources
 * for the whole run, runs phases on the generators, seeds players, and reads the audit counters
 * for the loss check. Scenarios are sequences of calls on this.
 */
import { memoryCheck } from './checks.ts';
import { readAuditCounts } from './database.ts';
import { compareLoss, mergeCounts } from './loss-check.ts';
import type { LoadtestOptions } from './options.ts';
import { type PhasePlan, singleOperation } from './plan.ts';
import type { EventLoss, ScenarioReport } from './report.ts';
import { type ResourceSampler, startResourceSampler, summarizeResources } from './resources.ts';
import { type PhaseResult, runPhase } from './run-phase.ts';
import { phaseWrites, readTableCounters } from './table-writes.ts';
import { existingTarget, spawnService, type Target } from './target.ts';

export type ScenarioOutcome = Omit<ScenarioReport, 'scenario' | 'command' | 'startedAt' | 'machine'>;

export interface Session {
  readonly target: Target;
  readonly phases: PhaseResult[];
  readonly warnings: string[];
  run(phase: PhasePlan, overrides?: { readonly timeoutMs?: number }): Promise<PhaseResult>;
  /** Initialises players 1…users (unmeasured), as the original's fixtures did before a run. */
  seed(): Promise<void>;
  /** Audit counters now; undefined when the target has no database to read. */
  audit(): Promise<Map<string, number> | undefined>;
  lossSince(
    before: Map<string, number> | undefined,
    phases: readonly PhaseResult[],
  ): Promise<EventLoss | undefined>;
  outcome(extra: Pick<ScenarioOutcome, 'checks'> & Partial<ScenarioOutcome>): ScenarioOutcome;
  close(): Promise<void>;
}

/** `users`: how many players the scenario's operations pick from (user-000001 …). */
export async function openSession(options: LoadtestOptions, label: string, users: number): Promise<Session> {
  const target = options.spawn
    ? await spawnService({
        namespace: options.namespace,
        serviceDir: options.serviceDir,
        shards: options.shards,
        devSecret: options.devSecret,
        workload: options.workload,
        webhook: options.webhook,
      })
    : await existingTarget({
        httpBase: options.target ?? 'http://127.0.0.1:8000',
        grpcTarget: options.grpc ?? '127.0.0.1:6565',
        databaseUrl: options.databaseUrl,
        servicePid: options.servicePid,
      });
  let generatorPids: readonly number[] = [];
  const sampler: ResourceSampler = startResourceSampler({
    service: target.servicePid,
    postgres: target.postgresPid,
    generators: () => generatorPids,
  });
  const phases: PhaseResult[] = [];
  const warnings: string[] = [];
  const startedAt = Date.now();
  const context = {
    httpBase: target.httpBase,
    grpcTarget: target.grpcTarget,
    namespace: options.namespace,
    users,
    runId: `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`,
    grpcConnections: options.connections,
    timeoutMs: options.timeoutMs,
    devSecret: options.devSecret,
  };

  const run = async (phase: PhasePlan, overrides: { readonly timeoutMs?: number } = {}) => {
    const counting = phase.measured && target.databaseUrl !== undefined;
    const before =
      counting && target.databaseUrl ? await readTableCounters(target.databaseUrl, true) : undefined;
    const ran = await runPhase({
      phase,
      // Event ids and new players' ids are unique per phase: generators count from 0 each time.
      context: { ...context, ...overrides, runId: `${context.runId}p${phases.length}` },
      generators: options.generators,
      sampler,
      label,
      onGenerators: (pids) => {
        generatorPids = pids;
      },
    });
    const after =
      before && target.databaseUrl ? await readTableCounters(target.databaseUrl, true) : undefined;
    const result: PhaseResult =
      before && after ? { ...ran, writes: phaseWrites(before, after, ran.ops['event']?.ok ?? 0) } : ran;
    phases.push(result);
    if (phase.measured) warnAbout(result, warnings);
    return result;
  };

  return {
    target,
    phases,
    warnings,
    run,
    async seed() {
      const result = await run({
        name: 'seed players',
        durationS: 3600,
        measured: false,
        streams: [singleOperation('initialize-wave', 'max', 32, users)],
      });
      const seeded = result.ops['initialize-wave'];
      if (!seeded || seeded.ok < users) {
        throw new Error(
          `seeding failed: ${seeded?.ok ?? 0} of ${users} players initialised (${JSON.stringify(seeded?.statuses)})`,
        );
      }
    },
    audit: async () => (target.databaseUrl ? readAuditCounts(target.databaseUrl) : undefined),
    async lossSince(before, eventPhases) {
      if (!before || !target.databaseUrl) {
        warnings.push(
          'no loss check: give --database-url (or use --spawn) so the audit counters can be read',
        );
        return undefined;
      }
      const after = await readAuditCounts(target.databaseUrl);
      if (after.size === 0) {
        warnings.push(
          'no loss check: the target has no audit goal (start it with the config from --print-config)',
        );
        return undefined;
      }
      const acknowledged = mergeCounts(eventPhases.flatMap((phase) => phase.acknowledgedLogins));
      return {
        ...compareLoss(acknowledged, before, after),
        redelivered: eventPhases.reduce((sum, phase) => sum + phase.redelivered, 0),
        undeliverable: eventPhases.reduce((sum, phase) => sum + phase.undeliverable, 0),
      };
    },
    outcome(extra) {
      const samples = sampler.samples.filter((sample) => sample.at >= startedAt);
      const service = summarizeResources(samples, 'service');
      if (!service) warnings.push('service CPU and memory not sampled: give --service-pid');
      return {
        target: target.description,
        phases,
        resources: {
          service,
          postgres: summarizeResources(samples, 'postgres'),
          generators: summarizeResources(samples, 'generators'),
        },
        resourceSamples: [...samples],
        warnings,
        notes: [],
        ...extra,
        checks: service ? [...extra.checks, memoryCheck(service.memoryMaxMb)] : extra.checks,
      };
    },
    async close() {
      sampler.stop();
      await target.stop();
    },
  };
}

function warnAbout(result: PhaseResult, warnings: string[]): void {
  if (result.generatorSaturatedSeconds > 0) {
    warnings.push(
      `${result.name}: a generator process used over 90 % of a core for ${result.generatorSaturatedSeconds} s — the figures may describe the generator, not the service; try more --generators`,
    );
  }
  if (result.generatorLagMaxMs > 100) {
    warnings.push(
      `${result.name}: the generator sent some arrivals up to ${result.generatorLagMaxMs.toFixed(0)} ms late (counted in their latency)`,
    );
  }
  for (const [op, ops] of Object.entries(result.ops)) {
    if (ops.dropped > 0) {
      warnings.push(
        `${result.name}: ${ops.dropped} ${op} arrivals dropped because --max-in-flight operations were still running`,
      );
    }
  }
}
