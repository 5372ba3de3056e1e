/**
 * The self-contained HTML report: summary tables, throughput over time and the latency
 * distribution drawn with Chart.js, whose browser bundle is inlined so the file opens
 * offline. The result JSON is embedded as data; the page's script only draws it.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { FIGURES, formatNumber as fmt } from './figures.js'
import type { BenchResult } from './result.js'

const require = createRequire(import.meta.url)

function chartBundle (): string {
  // The package's main file sits in dist/ beside the UMD bundle browsers load.
  return readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8')
}

function escapeHtml (s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

/** JSON safe inside a <script> element: no '</script>' or '<!--' can close or confuse it. */
function scriptJson (value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')
}

const PAGE_SCRIPT = `
const data = JSON.parse(document.getElementById('bench-data').textContent);
const colors = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
const throughput = [];
data.targets.forEach((t, i) => {
  const run = t.runs[t.medianRun] || t.runs[0];
  if (!run) return;
  for (const [field, dash] of [['produced', []], ['consumed', [6, 4]]]) {
    if (!run.samples.some((s) => s[field] > 0)) continue;
    throughput.push({ label: t.label + ' ' + field + ' (run ' + run.run + ')', data: run.samples.map((s) => ({ x: s.t / 1000, y: s[field] })),
      borderColor: colors[i % colors.length], borderDash: dash, pointRadius: 0, borderWidth: 2, tension: 0.2 });
  }
});
if (throughput.length > 0) {
  new Chart(document.getElementById('throughput'), { type: 'line', data: { datasets: throughput }, options: { animation: false, parsing: true,
    scales: { x: { type: 'linear', title: { display: true, text: 'seconds' } }, y: { beginAtZero: true, title: { display: true, text: 'records/s' } } } } });
} else document.getElementById('throughput-box').hidden = true;
const latency = data.targets.filter((t) => t.runs.some((r) => r.latency)).map((t, i) => {
  const run = t.runs[t.medianRun] || t.runs[0];
  return { label: t.label + ' (run ' + run.run + ')', data: run.latency.distribution.map((p) => ({ x: String(p.percentile), y: Math.max(p.us / 1000, 0.001) })),
    borderColor: colors[data.targets.indexOf(t) % colors.length], backgroundColor: colors[data.targets.indexOf(t) % colors.length], borderWidth: 2 };
});
if (latency.length > 0) {
  new Chart(document.getElementById('latency'), { type: 'line', data: { labels: latency[0].data.map((p) => p.x), datasets: latency }, options: { animation: false,
    scales: { x: { title: { display: true, text: 'percentile' } }, y: { type: 'logarithmic', title: { display: true, text: 'ms (log scale)' } } } } });
} else document.getElementById('latency-box').hidden = true;
`

export function renderHtml (result: BenchResult): string {
  const rows = result.targets.map((t) => {
    const cells = Object.values(t.summary).map((s) => `<td>${escapeHtml(fmt(s.median))} <small>(${escapeHtml(fmt(s.min))}–${escapeHtml(fmt(s.max))})</small></td>`).join('')
    return `<tr><th>${escapeHtml(t.label)}</th>${cells}</tr>`
  }).join('\n')
  const first = result.targets.find((t) => Object.keys(t.summary).length > 0)
  const heads = first === undefined ? '' : Object.values(first.summary).map((s) => `<th>${escapeHtml(s.name)} (${escapeHtml(s.unit)})</th>`).join('')
  const figureName = (key: string): string => FIGURES[result.workload].find((f) => f.key === key)?.name ?? key
  const ratioRows = result.ratios.map((r) => `<tr><th>vs ${escapeHtml(r.peer)}</th>${Object.entries(r.ratios).map(([k, v]) => `<td>${escapeHtml(figureName(k))}: ${v.toFixed(2)}×</td>`).join('')}</tr>`).join('\n')
  const settings = Object.entries(result.settings).map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(String(v))}</td></tr>`).join('')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>millrace bench ${escapeHtml(result.workload)} — ${escapeHtml(result.createdAt)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 1em 0; } td, th { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
small { color: #666; } .chart { position: relative; height: 380px; margin: 1.5em 0; }
</style></head><body>
<h1>millrace bench: ${escapeHtml(result.workload)}</h1>
<p>${escapeHtml(result.createdAt)} · commit ${escapeHtml(result.commit)} · Node ${escapeHtml(result.node)} · ${escapeHtml(`${result.machine.cpus} × ${result.machine.cpuModel}, ${result.machine.memoryGb} GB, ${result.machine.os}`)}</p>
<h2>Medians of ${result.settings.runs} runs (min–max)</h2>
<table id="summary"><tr><th>target</th>${heads}</tr>
${rows}
</table>
${ratioRows === '' ? '' : `<h2>Millrace ÷ peer (above 1 = Millrace ahead)</h2><table id="ratios">${ratioRows}</table>`}
${result.skipped.length === 0 ? '' : `<p>Skipped: ${result.skipped.map(escapeHtml).join('; ')}</p>`}
<div id="throughput-box"><h2>Throughput over time (median run)</h2><div class="chart"><canvas id="throughput"></canvas></div></div>
<div id="latency-box"><h2>Latency distribution (median run)</h2><div class="chart"><canvas id="latency"></canvas></div></div>
<h2>Settings</h2><table id="settings">${settings}</table>
<script id="bench-data" type="application/json">${scriptJson(result)}</script>
<script>${chartBundle()}</script>
<script>${PAGE_SCRIPT}</script>
</body></html>
`
}

