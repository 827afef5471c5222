/**
 * A self-contained SVG chart of a run, openable in any browser: throughput per operation, p99
 * latency per operation (log scale), and CPU of the service, PostgreSQL and the generators, all on
 * one time axis (seconds since the scenario started).
 */
import type { ResourceSample } from './resources.ts';
import type { PhaseResult } from './run-phase.ts';

const WIDTH = 1000;
const PANEL = 220;
const LEFT = 70;
const RIGHT = 240;
const TOP = 40;
const GAP = 50;
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
}

/** One colour and one legend entry per name, however many phases (separate lines) it spans. */
const colorOf = (names: readonly string[], name: string) => COLORS[names.indexOf(name) % COLORS.length];

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * magnitude) return step * magnitude;
  return 10 * magnitude;
}

function panel(
  title: string,
  top: number,
  series: readonly Series[],
  maxX: number,
  scale: 'linear' | 'log',
  unit: string,
): string {
  const plotWidth = WIDTH - LEFT - RIGHT;
  const values = series.flatMap((s) => s.points.map(([, y]) => y)).filter((y) => Number.isFinite(y) && y > 0);
  const top10 = 10 ** Math.ceil(Math.log10(Math.max(1, ...values)));
  const maxY = scale === 'log' ? top10 : niceMax(Math.max(1, ...values));
  const minY = scale === 'log' ? Math.max(0.01, 10 ** Math.floor(Math.log10(Math.min(maxY, ...values)))) : 0;
  const y = (value: number) => {
    const fraction =
      scale === 'log'
        ? (Math.log10(Math.max(minY, value)) - Math.log10(minY)) / (Math.log10(maxY) - Math.log10(minY) || 1)
        : value / maxY;
    return top + PANEL - fraction * PANEL;
  };
  const x = (second: number) => LEFT + (second / Math.max(1, maxX)) * plotWidth;
  const ticks =
    scale === 'log'
      ? Array.from({ length: Math.round(Math.log10(maxY / minY)) + 1 }, (_, i) => minY * 10 ** i)
      : [0, maxY / 4, maxY / 2, (3 * maxY) / 4, maxY];
  const xStep = niceMax(maxX / 10);
  const xTicks = Array.from({ length: Math.floor(maxX / xStep) + 1 }, (_, i) => i * xStep);
  const parts = [
    ...xTicks.map(
      (tick) =>
        `<line x1="${x(tick)}" x2="${x(tick)}" y1="${top}" y2="${top + PANEL}" stroke="#f3f3f3"/>` +
        `<text x="${x(tick)}" y="${top + PANEL + 14}" text-anchor="middle">${tick}</text>`,
    ),
    `<text x="${LEFT}" y="${top - 10}" font-weight="bold">${escapeXml(title)}</text>`,
    `<rect x="${LEFT}" y="${top}" width="${plotWidth}" height="${PANEL}" fill="none" stroke="#999"/>`,
    ...ticks.map(
      (tick) =>
        `<line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${y(tick)}" y2="${y(tick)}" stroke="#eee"/>` +
        `<text x="${LEFT - 6}" y="${y(tick) + 4}" text-anchor="end">${+tick.toPrecision(3)}${unit}</text>`,
    ),
  ];
  const names = [...new Set(series.map((s) => s.name))];
  for (const s of series) {
    const points = s.points
      .filter(([, value]) => Number.isFinite(value))
      .map(([second, value]) => `${x(second).toFixed(1)},${y(value).toFixed(1)}`);
    if (points.length) {
      parts.push(
        `<polyline fill="none" stroke="${colorOf(names, s.name)}" stroke-width="1.5" points="${points.join(' ')}"/>`,
      );
    }
  }
  names.forEach((name, i) => {
    parts.push(
      `<rect x="${LEFT + plotWidth + 12}" y="${top + 8 + i * 18}" width="12" height="4" fill="${colorOf(names, name)}"/>` +
        `<text x="${LEFT + plotWidth + 30}" y="${top + 14 + i * 18}">${escapeXml(name)}</text>`,
    );
  });
  return parts.join('\n');
}

export function renderChart(
  title: string,
  phases: readonly PhaseResult[],
  resources: readonly ResourceSample[],
): string {
  const origin = phases[0]?.startedAt ?? Date.now();
  // Measured phases only (warm-ups and seeding would crowd the chart); one line per phase and
  // operation, coloured by operation.
  const throughput: Series[] = [];
  const latency: Series[] = [];
  for (const phase of phases.filter((p) => p.measured)) {
    const offset = (phase.startedAt - origin) / 1000;
    const ops = new Set(phase.timeline.flatMap((point) => Object.keys(point.ops)));
    for (const op of ops) {
      const points = phase.timeline.filter((point) => point.ops[op]);
      throughput.push({
        name: op,
        points: points.map((p) => [offset + p.second, p.ops[op]?.rate ?? Number.NaN]),
      });
      latency.push({
        name: op,
        points: points.map((p) => [offset + p.second, p.ops[op]?.p99 ?? Number.NaN]),
      });
    }
  }
  const cpu = (which: 'service' | 'postgres' | 'generators'): Series => ({
    name: which,
    points: resources.flatMap((sample) => {
      const value = sample[which];
      return value ? [[(sample.at - origin) / 1000, value.cpuPct] as const] : [];
    }),
  });
  const maxX = Math.max(
    1,
    ...phases.map((phase) => (phase.endedAt - origin) / 1000),
    ...resources.map((sample) => (sample.at - origin) / 1000),
  );
  const height = TOP + 3 * PANEL + 2 * GAP + 50;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(title)}: throughput, p99 latency and CPU over time</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${LEFT}" y="20" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    panel('Throughput (operations/s)', TOP + 15, throughput, maxX, 'linear', ''),
    panel('Latency p99 per second (ms, log scale)', TOP + 15 + PANEL + GAP, latency, maxX, 'log', ''),
    panel(
      'CPU (% of one core)',
      TOP + 15 + 2 * (PANEL + GAP),
      [cpu('service'), cpu('postgres'), cpu('generators')].filter((s) => s.points.length > 0),
      maxX,
      'linear',
      '%',
    ),
    `<text x="${LEFT + (WIDTH - LEFT - RIGHT) / 2}" y="${height - 10}" text-anchor="middle">seconds since start</text>`,
    '</svg>',
  ].join('\n');
}
