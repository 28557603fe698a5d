/**
 * Horizontal bar charts as standalone SVG: a handful of bars, labels and
 * values, readable on GitHub's light and dark themes. No chart library: the
 * report needs bars and text, nothing else.
 */

export interface Bar {
  label: string
  value: number
  /** The bar drawn in the accent colour (mswoole); the others are grey. */
  accent?: boolean
}

export interface BarChart {
  title: string
  /** Printed after each value ("req/s", "×"). */
  unit: string
  bars: Bar[]
  /** A vertical rule at this value, labelled (a target). */
  marker?: { value: number; label: string }
}

const WIDTH = 720
const LABEL_WIDTH = 210
const VALUE_WIDTH = 150
const BAR_HEIGHT = 26
const GAP = 10
const TOP = 36
const BOTTOM = 30

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 })

export function barChart(chart: BarChart): string {
  const plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
  const max = Math.max(...chart.bars.map((b) => b.value), chart.marker?.value ?? 0) || 1
  const x = (value: number) => LABEL_WIDTH + (Math.max(0, value) / max) * plot
  const height = TOP + chart.bars.length * (BAR_HEIGHT + GAP) - GAP + BOTTOM
  const bars = chart.bars.map((bar, i) => {
    const y = TOP + i * (BAR_HEIGHT + GAP)
    const text = y + BAR_HEIGHT / 2 + 5
    return [
      `<text x="${LABEL_WIDTH - 10}" y="${text}" text-anchor="end">${escapeXml(bar.label)}</text>`,
      `<rect x="${LABEL_WIDTH}" y="${y}" width="${(x(bar.value) - LABEL_WIDTH).toFixed(1)}" height="${BAR_HEIGHT}" rx="3" fill="${bar.accent ? '#2f81f7' : '#8b949e'}"/>`,
      `<text x="${(x(bar.value) + 8).toFixed(1)}" y="${text}">${escapeXml(chart.unit === '×' ? `${number.format(bar.value)}×` : `${number.format(bar.value)} ${chart.unit}`)}</text>`,
    ].join('')
  })
  const marker = chart.marker
    ? `<line x1="${x(chart.marker.value).toFixed(1)}" x2="${x(chart.marker.value).toFixed(1)}" y1="${TOP - 6}" y2="${height - BOTTOM + 4}" stroke="#d29922" stroke-width="2" stroke-dasharray="5 4"/>` +
      `<text x="${x(chart.marker.value).toFixed(1)}" y="${height - 8}" text-anchor="middle" fill="#d29922">${escapeXml(chart.marker.label)}</text>`
    : ''
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="-apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="13" fill="#57606a">`,
    `<title>${escapeXml(chart.title)}</title>`,
    `<text x="10" y="20" font-size="15" font-weight="600">${escapeXml(chart.title)}</text>`,
    marker,
    ...bars,
    '</svg>',
    '',
  ].join('\n')
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}
