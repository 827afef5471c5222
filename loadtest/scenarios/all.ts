import { memoryCheck } from '../lib/checks.ts';
import type { EventLoss } from '../lib/report.ts';
import type { ScenarioOutcome } from '../lib/session.ts';
import { apiScenario } from './api.ts';
import { ceilingScenario } from './ceiling.ts';
import { combinedScenario } from './combined.ts';
import { eventsScenario } from './events.ts';
import { initScenario } from './init.ts';
import type { Scenario } from './scenario.ts';

const MEASURED = [apiScenario, eventsScenario, initScenario, combinedScenario];

export const allScenario: Scenario = {
  name: 'all',
  summary: 'ceiling, then api, events, init and combined: every SPEC §10 target beside its ceiling',
  help: `Runs the ceiling scenario and then api, events, init and combined one after another, each on a
fresh service with --spawn. --duration applies to each (their own defaults otherwise; combined is
600 s). The report's first table is the one loadtest/RESULTS.md records.`,
  async run(options) {
    const ceiling = await ceilingScenario.run({ ...options, duration: Math.min(options.duration ?? 10, 15) });
    const outcomes: [string, ScenarioOutcome][] = [['ceiling', ceiling]];
    for (const scenario of MEASURED) {
      console.log(`\n== ${scenario.name}`);
      outcomes.push([scenario.name, await scenario.run(options, ceiling.ceilings)]);
    }
    const serviceMemory = outcomes
      .map(([, outcome]) => outcome.resources.service?.memoryMaxMb)
      .filter((value): value is number => value !== undefined);
    const losses = outcomes
      .map(([, outcome]) => outcome.loss)
      .filter((loss): loss is EventLoss => loss !== undefined);
    return {
      target: outcomes[1]?.[1].target ?? ceiling.target,
      phases: outcomes.flatMap(([name, outcome]) =>
        outcome.phases.map((phase) => ({ ...phase, name: `${name}: ${phase.name}` })),
      ),
      loss: losses.length
        ? {
            acknowledged: losses.reduce((sum, l) => sum + l.acknowledged, 0),
            applied: losses.reduce((sum, l) => sum + l.applied, 0),
            lost: losses.reduce((sum, l) => sum + l.lost, 0),
            appliedTwice: losses.reduce((sum, l) => sum + l.appliedTwice, 0),
            redelivered: losses.reduce((sum, l) => sum + l.redelivered, 0),
            undeliverable: losses.reduce((sum, l) => sum + l.undeliverable, 0),
          }
        : undefined,
      resources: {},
      resourceSamples: outcomes.flatMap(([, outcome]) => outcome.resourceSamples),
      ceilings: ceiling.ceilings,
      checks: [
        ...outcomes.flatMap(([, outcome]) =>
          outcome.checks.filter((check) => check.name !== 'process RSS throughout'),
        ),
        memoryCheck(serviceMemory.length ? Math.max(...serviceMemory) : undefined),
      ],
      warnings: outcomes.flatMap(([name, outcome]) =>
        outcome.warnings.map((warning) => `${name}: ${warning}`),
      ),
      notes: outcomes.flatMap(([name, outcome]) =>
        Object.entries(outcome.resources)
          .filter(([, summary]) => summary !== undefined)
          .map(
            ([which, summary]) =>
              `${name}: ${which} CPU mean ${summary?.cpuMeanPct.toFixed(0)} %, max ${summary?.cpuMaxPct.toFixed(0)} %, memory max ${summary?.memoryMaxMb.toFixed(0)} MB`,
          ),
      ),
    };
  },
};
