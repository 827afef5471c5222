/**
 * The written result of a run: `report.json` (everything, for tools), `report.md` (for people) and
 * `chart.svg`, in `loadtest/results/<timestamp>-<scenario>/`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { renderChart } from './chart.ts';
import { CEILING_NAMES, type Ceilings } from './checks.ts';
import type { LossReport } from './loss-check.ts';
import { type ResourceSample, type ResourceSummary, summarizeMachine } from './resources.ts';
import type { PhaseResult } from './run-phase.ts';
import type { PhaseWrites } from './table-writes.ts';

/** One SPEC §10 target: what was measured, the machine's ceiling in the same run, and their ratio. */
export interface Check {
  readonly name: string;
  readonly target: string;
  readonly measured: string;
  readonly pass: boolean;
  readonly ceiling?: string;
  /** measured ÷ ceiling for rates, ceiling ÷ measured for latencies: 1 is as good as the bare stack. */
  readonly ratio?: number;
}

export interface EventLoss extends LossReport {
  readonly redelivered: number;
  readonly undeliverable: number;
}

export interface ScenarioReport {
  readonly scenario: string;
  readonly command: string;
  readonly startedAt: string;
  readonly machine: string;
  readonly target: string;
  readonly phases: readonly PhaseResult[];
  readonly loss?: EventLoss;
  readonly resources: Partial<Record<'service' | 'postgres' | 'generators', ResourceSummary>>;
  readonly resourceSamples: readonly ResourceSample[];
  readonly ceilings?: Ceilings;
  readonly checks: readonly Check[];
  readonly warnings: readonly string[];
  readonly notes: readonly string[];
}

/** How busy the whole machine was during the phase: a ratio between phases means little near 100 %. */
function machineLine(samples: readonly ResourceSample[], phase: PhaseResult): string[] {
  const machine = summarizeMachine(samples, phase.startedAt, phase.endedAt);
  if (!machine) return [];
  return [
    `Machine: ${machine.busyMeanPct.toFixed(0)} % of all its cores busy on average, ${machine.busyMaxPct.toFixed(0)} % at most (every process on it${machine.busyMaxPct >= 95 ? '; at this level every thread waits for a core' : ''}).`,
  ];
}

export function describeMachine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, Bun ${Bun.version}`;
}

const ms = (value: number) =>
  Number.isFinite(value) ? (value < 10 ? value.toFixed(2) : value.toFixed(1)) : '–';
const rate = (value: number | undefined) => (value === undefined ? '–' : value.toFixed(value < 100 ? 1 : 0));
const pct = (value: number) =>
  Number.isFinite(value) ? `${(value * 100).toFixed(value === 1 ? 0 : 2)} %` : '–';

export function renderMarkdown(report: ScenarioReport): string {
  const lines = [
    `# Load test \`${report.scenario}\` — ${report.startedAt}`,
    '',
    `- Command: \`${report.command}\``,
    `- Machine: ${report.machine}`,
    `- Target: ${report.target}`,
    '',
  ];
  if (report.checks.length) {
    lines.push(
      '## Checks',
      '',
      '| target | required | measured | ceiling (same run) | ratio | pass |',
      '|---|---|---|---|---|---|',
    );
    for (const check of report.checks) {
      lines.push(
        `| ${check.name} | ${check.target} | ${check.measured} | ${check.ceiling ?? '–'} | ${check.ratio === undefined ? '–' : check.ratio.toFixed(2)} | ${check.pass ? 'pass' : '**FAIL**'} |`,
      );
    }
    lines.push('');
  }
  for (const phase of report.phases.filter((p) => p.measured)) {
    lines.push(
      `## ${phase.name} (${phase.seconds.toFixed(0)} s, ${phase.generators} generator process${phase.generators > 1 ? 'es' : ''})`,
      '',
      '| operation | target/s | achieved/s | requests | success | errors | dropped | p50 ms | p95 ms | p99 ms | max ms | p99 of successes ms |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const [op, result] of Object.entries(phase.ops)) {
      lines.push(
        `| ${op} | ${rate(result.targetRate)} | ${rate(result.achievedRate)} | ${result.done} | ${pct(result.successRate)} | ${result.errors} | ${result.dropped} | ${ms(result.latency.p50)} | ${ms(result.latency.p95)} | ${ms(result.latency.p99)} | ${ms(result.latency.max)} | ${ms(result.okLatency.p99)} |`,
      );
    }
    const statuses = Object.entries(phase.ops)
      .map(
        ([op, result]) =>
          `${op}: ${Object.entries(result.statuses)
            .map(([s, n]) => `${s} × ${n}`)
            .join(', ')}`,
      )
      .join('; ');
    lines.push(
      '',
      `Answers: ${statuses}.`,
      `Generator: ${phase.generatorCpuMeanPct.toFixed(0)} % of a core on average, saturated ${phase.generatorSaturatedSeconds} s, largest send delay ${ms(phase.generatorLagMaxMs)} ms.`,
      ...machineLine(report.resourceSamples, phase),
      '',
    );
    if (phase.writes) lines.push(...writesLines(phase.writes), '');
  }
  if (report.loss) {
    const loss = report.loss;
    lines.push(
      '## Events',
      '',
      `Logins acknowledged ${loss.acknowledged}, applied ${loss.applied} (audit goal); failed events redelivered with their ids: ${loss.redelivered}, undeliverable: ${loss.undeliverable}.`,
      '',
      `**events lost: ${loss.lost}** · **events applied twice: ${loss.appliedTwice}**`,
      '',
    );
  }
  const resourceRows = Object.entries(report.resources);
  if (resourceRows.length) {
    lines.push('## Resources', '', '| process | CPU mean | CPU max | memory max |', '|---|---|---|---|');
    for (const [name, summary] of resourceRows) {
      if (!summary) continue;
      lines.push(
        `| ${name} | ${summary.cpuMeanPct.toFixed(0)} % | ${summary.cpuMaxPct.toFixed(0)} % | ${summary.memoryMaxMb.toFixed(0)} MB |`,
      );
    }
    lines.push(
      '',
      "CPU in % of one core. Memory: RSS; PostgreSQL as its processes' private memory plus their shared memory once.",
      '',
    );
  }
  if (report.ceilings) {
    lines.push('## Ceilings', '', '| measure | value |', '|---|---|');
    for (const [key, value] of Object.entries(report.ceilings)) {
      lines.push(
        `| ${CEILING_NAMES[key as keyof Ceilings]} | ${value === undefined ? '–' : +value.toPrecision(4)} |`,
      );
    }
    lines.push('');
  }
  if (report.warnings.length) lines.push('## Warnings', '', ...report.warnings.map((w) => `- ${w}`), '');
  if (report.notes.length) lines.push('## Notes', '', ...report.notes.map((n) => `- ${n}`), '');
  lines.push('![throughput, latency and CPU over time](chart.svg)', '');
  return lines.join('\n');
}

/** Writes the report files; returns the directory. */
export function writeReport(outRoot: string, report: ScenarioReport): string {
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const dir = join(outRoot, `${stamp}-${report.scenario}`);
  mkdirSync(dir, { recursive: true });
  const phases = report.phases.map(({ acknowledgedLogins: _dropped, ...phase }) => phase);
  writeFileSync(join(dir, 'report.json'), `${JSON.stringify({ ...report, phases }, null, 2)}\n`);
  writeFileSync(join(dir, 'report.md'), renderMarkdown(report));
  writeFileSync(
    join(dir, 'chart.svg'),
    renderChart(`${report.scenario} — ${report.startedAt}`, report.phases, report.resourceSamples),
  );
  return dir;
}

function writesLines(writes: PhaseWrites): string[] {
  const perEvent = writes.rowVersionsPerEvent;
  const hot = writes.progressHotShare;
  return [
    `PostgreSQL row versions written: ${perEvent === undefined ? 'no events' : `${perEvent.toFixed(2)} per event answered`}${hot === undefined ? '' : `; HOT share of progress updates ${(hot * 100).toFixed(1)} %`}.`,
    '',
    `WAL: ${(writes.wal.bytes / 1e6).toFixed(0)} MB${writes.walBytesPerEvent === undefined ? '' : ` (${(writes.walBytesPerEvent / 1000).toFixed(1)} kB per event answered)`}, ${writes.wal.fullPageImages} full-page images, ${writes.wal.checkpoints} checkpoints.`,
    '',
    '| table | inserted | updated | of them HOT | deleted | autovacuums |',
    '|---|---|---|---|---|---|',
    ...Object.entries(writes.tables).map(
      ([name, t]) =>
        `| ${name} | ${t.inserted} | ${t.updated} | ${t.hotUpdated} | ${t.deleted} | ${t.autovacuums} |`,
    ),
  ];
}
