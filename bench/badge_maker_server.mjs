// The peer: shields.io's renderer (npm badge-maker) in a minimal Node http server,
// rendering the same badge on every request, as bench/serve.py measures it.
import http from 'node:http'
import { makeBadge } from 'badge-maker'

const port = Number(process.argv[2] || 8090)
http.createServer((request, response) => {
  const svg = makeBadge({ label: 'Blocage de la VoIP au Maroc', message: 'levé après 304 jours', color: '#15803d' })
  response.writeHead(200, { 'Content-Type': 'image/svg+xml; charset=utf-8' })
  response.end(svg)
}).listen(port, '127.0.0.1')
