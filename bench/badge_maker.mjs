// The peer for bench/render_badges.py: shields.io's renderer drawing distinct badges.
// Usage: node badge_maker.mjs N  -> JSON with the median and p90 in ms.
import { makeBadge } from 'badge-maker'

const count = Number(process.argv[2] || 2000)
const styles = ['flat', 'flat-square', 'plastic', 'for-the-badge']
const labels = ['Blocage de la VoIP au Maroc', 'حجب المكالمات عبر الإنترنت في المغرب', 'ⴰⴳⴷⴰⵍ ⵏ VoIP ⴳ ⵍⵎⵖⵔⵉⴱ', 'VoIP block in Morocco']
const colors = ['#b91c1c', '#b45309', '#15803d', '#0f766e', '#1d4ed8', '#7e22ce', '#4b5563', '#111827']
const times = []
for (let i = 0; i < count; i++) {
  const days = 1000 + i
  const format = {
    label: labels[i % 4],
    message: `depuis ${days} jours`,
    color: colors[i % 8],
    style: styles[Math.floor(i / 4) % 4],
  }
  const start = process.hrtime.bigint()
  makeBadge(format)
  times.push(Number(process.hrtime.bigint() - start) / 1e6)
}
times.sort((a, b) => a - b)
const at = q => times[Math.min(times.length - 1, Math.floor(q * times.length))]
console.log(JSON.stringify({ samples: count, median_ms: +at(0.5).toFixed(4), p90_ms: +at(0.9).toFixed(4) }))
