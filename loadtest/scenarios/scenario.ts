import type { Ceilings } from '../lib/checks.ts';
import type { LoadtestOptions } from '../lib/options.ts';
import type { ScenarioOutcome } from '../lib/session.ts';

export interface Scenario {
  readonly name: string;
  /** One line for the scenario list in --help. */
  readonly summary: string;
  /** What it does, step by step, with its defaults. */
  readonly help: string;
  /** `ceilings`: the bare stack's figures from the same run, to put beside the targets. */
  run(options: LoadtestOptions, ceilings?: Ceilings): Promise<ScenarioOutcome>;
}

export const DEFAULT_USERS = 10_000;
