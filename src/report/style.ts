/** The report's inline stylesheet: system fonts only (nothing to fetch), readable on screen and in print. */
export const REPORT_CSS = `
:root { --fg: #111827; --muted: #6b7280; --line: #e5e7eb; --bg: #f7f8fa; --accent: #2563eb; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
header { background: #0f172a; color: #f8fafc; padding: 20px 32px; }
header h1 { margin: 0; font-size: 22px; font-weight: 650; overflow-wrap: anywhere; }
header p { margin: 4px 0 0; color: #cbd5e1; }
main { max-width: 1400px; margin: 0 auto; padding: 8px 32px 32px; }
section { margin-top: 28px; }
h2 { font-size: 17px; margin: 0 0 10px; }
p.lead { color: var(--muted); margin: -4px 0 12px; }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #eef2f7;
  padding: 1px 5px; border-radius: 4px; }
dl.setup { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 8px 24px;
  margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 14px 18px; }
dl.setup div { display: flex; gap: 10px; min-width: 0; }
dl.setup dt { color: var(--muted); min-width: 84px; }
dl.setup dd { margin: 0; overflow-wrap: anywhere; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 10px 16px; min-width: 150px;
  display: flex; flex-direction: column; }
.card .name { color: var(--muted); font-size: 12.5px; overflow-wrap: anywhere; }
.card .value { font-size: 19px; font-weight: 650; }
.card .value.none { color: var(--muted); font-size: 15px; font-weight: 500; }
.card .rel { color: var(--accent); font-size: 12.5px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 16px; }
figure.chart { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
figure.chart.wide { grid-column: 1 / -1; }
figure.chart figcaption { margin-bottom: 6px; }
figure.chart figcaption span { color: var(--muted); }
figure.chart svg { display: block; width: 100%; height: auto; }
p.missing { margin: 0; padding: 28px 16px; text-align: center; color: var(--muted); background: #f9fafb;
  border: 1px dashed #d1d5db; border-radius: 8px; }
.table-wrap { overflow-x: auto; background: #fff; border: 1px solid var(--line); border-radius: 10px; }
table.results { border-collapse: collapse; font-size: 12px; font-variant-numeric: tabular-nums; width: 100%; }
table.results th, table.results td { padding: 4px 5px; text-align: right; white-space: nowrap; }
table.results thead th { background: #f3f4f6; color: #374151; font-weight: 600; border-bottom: 1px solid var(--line); }
table.results thead th.group { border-left: 1px solid var(--line); }
table.results th.policy, table.results tbody th[scope="row"] { text-align: left; }
table.results tbody th[scope="row"] { font-weight: 600; }
table.results tr.rate th { text-align: left; background: #eef2ff; color: #1e3a8a; font-weight: 650; }
table.results tr.rate .note { color: var(--muted); font-weight: 400; }
table.results tbody tr:not(.rate) { border-top: 1px solid #f1f3f5; }
table.results tr.baseline { color: #4b5563; }
table.results td.best { font-weight: 700; color: #065f46; }
table.results .spread { display: block; color: var(--muted); font-size: 11px; }
footer { max-width: 1400px; margin: 0 auto; padding: 0 32px 32px; color: var(--muted); font-size: 12.5px; }
@media print { body { background: #fff; } header { background: #fff; color: var(--fg); } }
`;
