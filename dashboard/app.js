// The mswoole dashboard: plain ES modules, Preact + htm, uPlot for the charts.
// Every call goes to the manager API of the port that served this page, with the
// session cookie and the X-Mswoole-Dashboard header.
import { h, render } from './vendor/preact.mjs'
import { useCallback, useEffect, useRef, useState } from './vendor/hooks.mjs'
import htm from './vendor/htm.mjs'
import uPlot from './vendor/uplot.mjs'

const html = htm.bind(h)

const POLL_MS = 2000
const HISTORY_MS = 15 * 60 * 1000
const PAGE_SIZE = 25
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal']
const LEVEL_OF = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' }

// ---- calls --------------------------------------------------------------------------------

class CallError extends Error {
  constructor(code, message, status) {
    super(message)
    this.code = code
    this.status = status
  }
}

async function api(path, { json, method = json === undefined ? 'GET' : 'POST' } = {}) {
  const headers = { 'x-mswoole-dashboard': '1' }
  if (json !== undefined) headers['content-type'] = 'application/json'
  let res
  try {
    res = await fetch(path, { method, headers, body: json === undefined ? undefined : JSON.stringify(json), credentials: 'same-origin' })
  } catch (err) {
    throw new CallError('NETWORK', `the manager port does not answer (${err.message})`, 0)
  }
  const type = res.headers.get('content-type') ?? ''
  const body = type.startsWith('application/json') ? await res.json() : await res.text()
  if (!res.ok) {
    const error = body && typeof body === 'object' && body.error ? body.error : { code: `HTTP_${res.status}`, message: res.statusText }
    // The session has ended (12 h, or the key changed): back to the login form.
    if (res.status === 401 && path !== '/dashboard/login') window.dispatchEvent(new Event('mswoole-logged-out'))
    throw new CallError(error.code, error.message, res.status)
  }
  return body
}

let rpcId = 0
async function rpc(method, params = {}) {
  const answer = await api('/rpc', { json: { jsonrpc: '2.0', id: ++rpcId, method, params } })
  if (answer.error) throw new CallError(answer.error.data?.code ?? String(answer.error.code), answer.error.message, 200)
  return answer.result
}

function describeError(err) {
  if (!err) return ''
  return err.code ? `${err.message} (${err.code})` : String(err.message ?? err)
}

// ---- formatting ---------------------------------------------------------------------------

const numberFormat = new Intl.NumberFormat()
const rateFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 })
const fmt = (n) => (n === null || n === undefined ? '–' : numberFormat.format(n))
const fmtRate = (n) => (n === null || n === undefined ? '–' : rateFormat.format(n))

function fmtBytes(n) {
  if (n === null || n === undefined) return '–'
  const units = ['B', 'KiB', 'MiB', 'GiB']
  let value = n
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${rateFormat.format(value)} ${units[unit]}`
}

function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return '–'
  const s = Math.max(0, Math.floor(seconds))
  const d = Math.floor(s / 86400)
  const hh = Math.floor((s % 86400) / 3600)
  const mm = Math.floor((s % 3600) / 60)
  const ss = s % 60
  if (d > 0) return `${d} d ${hh} h`
  if (hh > 0) return `${hh} h ${mm} min`
  if (mm > 0) return `${mm} min ${ss} s`
  return `${ss} s`
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })
function fmtAgo(when) {
  if (!when) return '–'
  const seconds = Math.round((new Date(when).getTime() - Date.now()) / 1000)
  const abs = Math.abs(seconds)
  if (abs < 60) return relative.format(seconds, 'second')
  if (abs < 3600) return relative.format(Math.round(seconds / 60), 'minute')
  if (abs < 86400) return relative.format(Math.round(seconds / 3600), 'hour')
  return relative.format(Math.round(seconds / 86400), 'day')
}

/** The value of one unlabelled series of Prometheus text. */
function metric(text, name) {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text)
  return match ? Number(match[1]) : null
}

// ---- pieces -------------------------------------------------------------------------------

function ErrorLine({ error }) {
  return error ? html`<p class="error" role="alert">${describeError(error)}</p>` : null
}

function Stat({ label, value }) {
  return html`<div class="stat"><div class="label">${label}</div><div class="value">${value}</div></div>`
}

function Chart({ title, series, data }) {
  const box = useRef(null)
  const plot = useRef(null)
  useEffect(() => {
    const width = Math.max(280, box.current.clientWidth)
    plot.current = new uPlot(
      {
        title,
        width,
        height: 180,
        scales: { x: { time: true } },
        axes: [{}, { size: 86, values: (_u, ticks) => ticks.map((v) => series[0].format(v)) }],
        series: [
          {},
          ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, value: (_u, v) => (v === null ? '–' : s.format(v)) })),
        ],
      },
      data,
      box.current,
    )
    const resize = () => plot.current?.setSize({ width: Math.max(280, box.current.clientWidth), height: 180 })
    window.addEventListener('resize', resize)
    return () => {
      window.removeEventListener('resize', resize)
      plot.current?.destroy()
      plot.current = null
    }
  }, [])
  useEffect(() => {
    plot.current?.setData(data)
  }, [data])
  return html`<div class="chart" ref=${box} role="img" aria-label=${title}></div>`
}

// ---- login --------------------------------------------------------------------------------

function Login({ onDone }) {
  const [key, setKey] = useState('')
  const [error, setError] = useState(null)
  const [busy, setBusy] = useState(false)
  const submit = async (event) => {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await api('/dashboard/login', { json: { key } })
      onDone()
    } catch (err) {
      setError(err.code === 'MSW_ERR_UNAUTHORIZED' ? new CallError(err.code, 'wrong manager key', 401) : err)
    } finally {
      setBusy(false)
    }
  }
  return html`<section class="panel login">
    <h1>mswoole dashboard</h1>
    <form onSubmit=${submit}>
      <label>Manager key
        <input id="key" name="key" type="password" autocomplete="current-password" required value=${key} onInput=${(e) => setKey(e.target.value)} />
      </label>
      <button type="submit" disabled=${busy}>Log in</button>
      <${ErrorLine} error=${error} />
      <p class="muted">The key is in <code>runtime/manager.key</code> unless <code>manager.key</code> sets it.</p>
    </form>
  </section>`
}

// ---- overview, charts, workers, logs ------------------------------------------------------

/**
 * Runs `load(alive)` now and every POLL_MS while the component is mounted, and
 * again from the start when `deps` change; `alive()` turns false once this run
 * is superseded, so a late answer never lands in the wrong view.
 */
function usePoll(load, deps) {
  useEffect(() => {
    let stopped = false
    const alive = () => !stopped
    const tick = () => load(alive)
    tick()
    const timer = setInterval(tick, POLL_MS)
    return () => {
      stopped = true
      clearInterval(timer)
    }
  }, deps)
}

function useStatus() {
  const [state, setState] = useState({ status: null, error: null, history: { t: [], conns: [], inRate: [], outRate: [], rss: [] } })
  const last = useRef(null)
  usePoll(async (alive) => {
    try {
      const [status, metricsText] = await Promise.all([rpc('status'), api('/metrics')])
      const now = Date.now()
      const messagesIn = metric(metricsText, 'mswoole_messages_in_total')
      const messagesOut = metric(metricsText, 'mswoole_messages_out_total')
      const prev = last.current
      const dt = prev ? (now - prev.now) / 1000 : 0
      const inRate = prev && dt > 0 && messagesIn !== null ? Math.max(0, (messagesIn - prev.messagesIn) / dt) : null
      const outRate = prev && dt > 0 && messagesOut !== null ? Math.max(0, (messagesOut - prev.messagesOut) / dt) : null
      last.current = { now, messagesIn, messagesOut }
      if (!alive()) return
      setState((s) => {
        const cut = now - HISTORY_MS
        const keep = s.history.t.findIndex((t) => t * 1000 >= cut)
        const from = keep === -1 ? s.history.t.length : keep
        const history = {
          t: [...s.history.t.slice(from), now / 1000],
          conns: [...s.history.conns.slice(from), status.connections],
          inRate: [...s.history.inRate.slice(from), inRate],
          outRate: [...s.history.outRate.slice(from), outRate],
          rss: [...s.history.rss.slice(from), status.memory.rss],
        }
        return { status, error: null, history, inRate, outRate }
      })
    } catch (err) {
      if (alive()) setState((s) => ({ ...s, error: err }))
    }
  }, [])
  return state
}

function Overview({ status, inRate, outRate }) {
  if (!status) return html`<p class="muted">Waiting for the first status…</p>`
  // Each node's own summary (its last heartbeat); a node not heard from yet shows its name only.
  const members = new Map((status.cluster.members ?? []).map((m) => [m.node, m]))
  const nodes = status.cluster.nodes.length > 0 ? status.cluster.nodes : [status.nodeId]
  const self = (node) => node === status.nodeId
  return html`<section class="panel" aria-labelledby="overview-title">
    <h2 id="overview-title">Overview</h2>
    <div class="grid">
      <${Stat} label="Connections" value=${html`<span data-testid="connections">${fmt(status.connections)}</span>`} />
      <${Stat} label="Messages in / s" value=${fmtRate(inRate)} />
      <${Stat} label="Messages out / s" value=${fmtRate(outRate)} />
      <${Stat} label="RSS" value=${fmtBytes(status.memory.rss)} />
      <${Stat} label="Generation" value=${html`<span data-testid="generation">${fmt(status.generation)}</span>`} />
      <${Stat} label="Uptime" value=${fmtDuration(status.uptime)} />
    </div>
    <div class="table-wrap">
      <table>
        <caption class="muted">Nodes of the cluster (store: ${status.cluster.store}, ${status.cluster.state})</caption>
        <thead><tr><th>Node</th><th>Version</th><th>State</th><th class="num">Generation</th><th class="num">Connections</th><th>Uptime</th><th>Started</th></tr></thead>
        <tbody>
          ${nodes.map((node) => {
            const m = members.get(node)
            const uptime = m ? (Date.now() - Date.parse(m.startedAt)) / 1000 : null
            return html`<tr key=${node}>
              <td>${node}${self(node) ? html` <span class="badge">this node</span>` : ''}</td>
              <td>${m ? m.version : '–'}</td>
              <td>${self(node) ? status.state : m ? 'running' : 'in the cluster'}</td>
              <td class="num">${m ? fmt(m.generation) : '–'}</td>
              <td class="num">${m ? fmt(m.connections) : '–'}</td>
              <td>${uptime === null ? '–' : fmtDuration(Math.round(uptime))}</td>
              <td>${m ? fmtAgo(m.startedAt) : '–'}</td>
            </tr>`
          })}
        </tbody>
      </table>
    </div>
  </section>`
}

function Charts({ history }) {
  const conns = [history.t, history.conns]
  const rates = [history.t, history.inRate, history.outRate]
  const rss = [history.t, history.rss]
  return html`<section class="panel" aria-labelledby="charts-title">
    <h2 id="charts-title">Last 15 minutes</h2>
    <div class="charts">
      <${Chart} title="Connections" data=${conns} series=${[{ label: 'connections', color: '#2457c5', format: fmt }]} />
      <${Chart}
        title="Messages per second"
        data=${rates}
        series=${[{ label: 'in', color: '#067647', format: fmtRate }, { label: 'out', color: '#b54708', format: fmtRate }]}
      />
      <${Chart} title="RSS" data=${rss} series=${[{ label: 'rss', color: '#6941c6', format: fmtBytes }]} />
    </div>
  </section>`
}

function Workers({ status }) {
  if (!status) return null
  return html`<section class="panel" aria-labelledby="workers-title">
    <h2 id="workers-title">Workers</h2>
    <div class="table-wrap">
      <table>
        <thead><tr><th>Id</th><th class="num">Thread</th><th class="num">Generation</th><th class="num">Handled</th><th class="num">In flight</th><th class="num">Memory</th></tr></thead>
        <tbody>
          ${status.workers.map(
            (w) => html`<tr key=${w.id}>
              <td>${w.id}</td><td class="num">${w.threadId}</td><td class="num">${fmt(w.generation)}</td>
              <td class="num">${fmt(w.handled)}</td><td class="num">${fmt(w.inFlight)}</td><td class="num">${fmtBytes(w.memory)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
    <h3>Last reloads</h3>
    ${
      (status.reloads ?? []).length === 0
        ? html`<p class="muted">No reload since the start (generation ${fmt(status.generation)}).</p>`
        : html`<ul data-testid="reloads">
          ${status.reloads.map((r) => html`<li key=${r.at}>generation ${r.previous} → ${r.generation} in ${fmt(r.durationMs)} ms, ${fmtAgo(r.at)}</li>`)}
        </ul>`
    }
  </section>`
}

function Logs() {
  const [level, setLevel] = useState('info')
  const [lines, setLines] = useState([])
  const [error, setError] = useState(null)
  usePoll(
    async (alive) => {
      try {
        const result = await rpc('logs.tail', { lines: 100, level })
        if (alive()) {
          setLines(result.lines)
          setError(null)
        }
      } catch (err) {
        if (alive()) setError(err)
      }
    },
    [level],
  )
  const parsed = lines.map((line) => {
    try {
      const value = JSON.parse(line)
      return { level: LEVEL_OF[value.level] ?? 'info', time: value.time, msg: value.msg ?? line }
    } catch {
      return { level: 'info', time: null, msg: line }
    }
  })
  return html`<section class="panel" aria-labelledby="logs-title">
    <h2 id="logs-title">Log</h2>
    <div class="filters">
      <label>Level at least
        <select value=${level} onChange=${(e) => setLevel(e.target.value)}>${LEVELS.map((l) => html`<option value=${l}>${l}</option>`)}</select>
      </label>
    </div>
    <${ErrorLine} error=${error} />
    <div class="logs" role="log" aria-live="off">
      ${parsed.length === 0 ? html`<span class="muted">No lines at this level.</span>` : ''}
      ${parsed.map(
        (l, i) =>
          html`<div key=${i} class=${l.level}>${l.time ? new Date(l.time).toLocaleTimeString() : ''} ${l.level.toUpperCase()} ${l.msg}</div>`,
      )}
    </div>
  </section>`
}

// ---- connections and rooms ----------------------------------------------------------------

function Connections({ canAct, onAction }) {
  const [filters, setFilters] = useState({ room: '', uid: '', ip: '', node: '' })
  const [applied, setApplied] = useState(filters)
  const [offset, setOffset] = useState(0)
  const [page, setPage] = useState(null)
  const [error, setError] = useState(null)
  const [confirming, setConfirming] = useState(null)
  const [open, setOpen] = useState(null)
  const [message, setMessage] = useState(null)
  const [detail, setDetail] = useState(null)
  useEffect(() => {
    setDetail(null)
    if (open === null) return
    let stopped = false
    rpc('connections.get', { fd: open })
      .then((result) => !stopped && setDetail(result))
      .catch((err) => !stopped && setDetail({ error: err }))
    return () => {
      stopped = true
    }
  }, [open])
  const load = useCallback(async () => {
    const params = { offset, limit: PAGE_SIZE }
    for (const [name, value] of Object.entries(applied)) if (value.trim() !== '') params[name] = value.trim()
    try {
      setPage(await rpc('connections.list', params))
      setError(null)
    } catch (err) {
      setError(err)
    }
  }, [applied, offset])
  useEffect(() => {
    load()
    const timer = setInterval(load, POLL_MS)
    return () => clearInterval(timer)
  }, [load])
  const apply = (event) => {
    event.preventDefault()
    setOffset(0)
    setApplied({ ...filters })
  }
  const kick = async (conn) => {
    const target = `${conn.node}:${conn.fd}`
    if (confirming !== target) {
      setConfirming(target)
      return
    }
    setConfirming(null)
    try {
      const result = await rpc('connections.kick', { fd: target, reason: 'kicked from the dashboard' })
      setMessage(`Kicked connection ${result.fd} (${result.cid}).`)
      setError(null)
      onAction()
      load()
    } catch (err) {
      setError(err)
    }
  }
  const field = (name, label) =>
    html`<label>${label}<input name=${name} value=${filters[name]} onInput=${(e) => setFilters({ ...filters, [name]: e.target.value })} /></label>`
  return html`<section class="panel" aria-labelledby="connections-title">
    <h2 id="connections-title">Connections</h2>
    <form class="filters" onSubmit=${apply} aria-label="Filter connections">
      ${field('room', 'Room')} ${field('uid', 'Uid')} ${field('ip', 'Address')} ${field('node', 'Node')}
      <button type="submit">Filter</button>
    </form>
    <${ErrorLine} error=${error} />
    ${message ? html`<p class="result" role="status">${message}</p>` : ''}
    ${
      page
        ? html`<div class="table-wrap">
          <table aria-label="Connections">
            <thead><tr><th>Fd</th><th>Uid</th><th class="hide-narrow">Name</th><th>Address</th><th class="hide-narrow">Node</th><th>Rooms</th><th>Age</th><th></th></tr></thead>
            <tbody>
              ${page.connections.map((c) => {
                const id = `${c.node}:${c.fd}`
                return html`<tr key=${id} data-fd=${c.fd}>
                    <td><button class="secondary" aria-expanded=${open === id} aria-label=${`Details of connection ${c.fd}`} onClick=${() => setOpen(open === id ? null : id)}>${c.fd}</button></td>
                    <td>${c.id ?? '–'}</td><td class="hide-narrow">${c.nickname ?? ''}</td><td>${c.ip}</td><td class="hide-narrow">${c.node}</td>
                    <td>${c.rooms.join(', ')}</td><td>${fmtAgo(c.connectedAt)}</td>
                    <td>${
                      canAct
                        ? html`<button class="danger" aria-label=${confirming === id ? `Confirm kick of connection ${c.fd}` : `Kick connection ${c.fd}`} onClick=${() => kick(c)}>${confirming === id ? 'Confirm kick' : 'Kick'}</button>`
                        : ''
                    }</td>
                  </tr>
                  ${
                    open === id
                      ? html`<tr class="detail"><td colspan="8"><dl>
                        <dt>Client id</dt><dd>${c.cid}</dd>
                        <dt>Type</dt><dd>${c.type ?? '–'}</dd>
                        <dt>Code</dt><dd>${c.code ?? '–'}</dd>
                        <dt>Rooms</dt><dd>${c.rooms.length > 0 ? c.rooms.join(', ') : 'none'}</dd>
                        <dt>Connected</dt><dd>${c.connectedAt ? `${new Date(c.connectedAt).toLocaleString()} (${fmtAgo(c.connectedAt)})` : '–'}</dd>
                        <dt>Last active</dt><dd>${fmtAgo(c.lastActiveAt)}</dd>
                        <dt>Messages in / out</dt><dd>${fmt(c.messagesIn)} / ${fmt(c.messagesOut)}</dd>
                        <dt>Uids</dt><dd>${detail?.uids ? (detail.uids.length > 0 ? detail.uids.join(', ') : 'none') : '…'}</dd>
                        <dt>Session keys</dt><dd data-testid="session-keys">${
                          detail?.error
                            ? describeError(detail.error)
                            : !detail
                              ? '…'
                              : detail.sessionKeys === null
                                ? 'kept by its node'
                                : detail.sessionKeys.length > 0
                                  ? detail.sessionKeys.join(', ')
                                  : 'none'
                        }</dd>
                      </dl></td></tr>`
                      : ''
                  }`
              })}
            </tbody>
          </table>
        </div>
        <div class="pager">
          <button class="secondary" disabled=${offset === 0} onClick=${() => setOffset(Math.max(0, offset - PAGE_SIZE))}>Previous</button>
          <span data-testid="connections-range">${page.total === 0 ? 'no connections' : `${fmt(page.offset + 1)}–${fmt(page.offset + page.connections.length)} of ${fmt(page.total)}`}</span>
          <button class="secondary" disabled=${offset + PAGE_SIZE >= page.total} onClick=${() => setOffset(offset + PAGE_SIZE)}>Next</button>
        </div>`
        : html`<p class="muted">Loading…</p>`
    }
  </section>`
}

function Rooms() {
  const [prefix, setPrefix] = useState('')
  const [applied, setApplied] = useState('')
  const [offset, setOffset] = useState(0)
  const [page, setPage] = useState(null)
  const [error, setError] = useState(null)
  usePoll(
    async (alive) => {
      try {
        const params = { presence: true, offset, limit: PAGE_SIZE }
        if (applied !== '') params.prefix = applied
        const result = await rpc('rooms.list', params)
        if (alive()) {
          setPage(result)
          setError(null)
        }
      } catch (err) {
        if (alive()) setError(err)
      }
    },
    [applied, offset],
  )
  const filter = (event) => {
    event.preventDefault()
    setOffset(0)
    setApplied(prefix.trim())
  }
  return html`<section class="panel" aria-labelledby="rooms-title">
    <h2 id="rooms-title">Rooms</h2>
    <form class="filters" onSubmit=${filter} aria-label="Filter rooms">
      <label>Name starts with<input name="prefix" value=${prefix} onInput=${(e) => setPrefix(e.target.value)} /></label>
      <button type="submit">Filter</button>
    </form>
    <${ErrorLine} error=${error} />
    ${
      page
        ? html`<div class="table-wrap"><table aria-label="Rooms">
          <thead><tr><th>Room</th><th class="num">Members</th><th class="num">Anonymous</th><th>Uids</th></tr></thead>
          <tbody>${page.rooms.map(
            (r) => html`<tr key=${r.name}><td>${r.name}</td><td class="num">${fmt(r.members)}</td><td class="num">${fmt(r.anonymous)}</td>
              <td>${(r.uids ?? []).map((u) => `${u.uid}${u.connections > 1 ? ` (${u.connections})` : ''}`).join(', ')}</td></tr>`,
          )}</tbody>
        </table></div>
        <div class="pager">
          <button class="secondary" disabled=${offset === 0} onClick=${() => setOffset(Math.max(0, offset - PAGE_SIZE))}>Previous</button>
          <span>${page.total === 0 ? 'no rooms' : `${fmt(page.offset + 1)}–${fmt(page.offset + page.rooms.length)} of ${fmt(page.total)}`}</span>
          <button class="secondary" disabled=${offset + PAGE_SIZE >= page.total} onClick=${() => setOffset(offset + PAGE_SIZE)}>Next</button>
        </div>`
        : html`<p class="muted">Loading…</p>`
    }
  </section>`
}

// ---- actions ------------------------------------------------------------------------------

function parseParam(text) {
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

function Actions({ canAct }) {
  const [target, setTarget] = useState({ room: '', all: false, event: 'serverBroadcast', info: '', param: '' })
  const [push, setPush] = useState({ uid: '', event: 'serverPush', info: '', param: '' })
  const [result, setResult] = useState(null)
  const [error, setError] = useState(null)
  const [busy, setBusy] = useState(false)
  // Each action is confirmed once: the first click turns its button into "Confirm …", the second acts.
  const [pending, setPending] = useState(null)
  useEffect(() => setPending(null), [target, push])
  const confirmed = (action) => {
    if (pending === action) {
      setPending(null)
      return true
    }
    setPending(action)
    setResult(null)
    setError(null)
    return false
  }
  const run = async (what, call) => {
    setBusy(true)
    setError(null)
    setResult(null)
    try {
      setResult(`${what}: ${await call()}`)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  const broadcast = (e) => {
    e.preventDefault()
    if (!confirmed('broadcast')) return
    const params = { event: target.event || 'serverBroadcast', info: target.info }
    const param = parseParam(target.param)
    if (param !== undefined) params.param = param
    if (target.all) params.all = true
    else params.room = target.room.trim()
    run('Broadcast', async () => {
      const r = await rpc('broadcast', params)
      return `delivered to ${fmt(r.delivered)} connection(s) here${r.nodes?.length ? `, sent to ${r.nodes.length} other node(s)` : ''}`
    })
  }
  const pushTo = (e) => {
    e.preventDefault()
    if (!confirmed('push')) return
    const params = { uid: push.uid.trim(), event: push.event || 'serverPush', info: push.info }
    const param = parseParam(push.param)
    if (param !== undefined) params.param = param
    run('Push', async () => {
      const r = await rpc('push', params)
      return `delivered to ${fmt(r.delivered)} connection(s)`
    })
  }
  const reload = () => {
    if (!confirmed('reload')) return
    run('Reload', async () => {
      const r = await rpc('reload')
      return `generation ${r.previous} → ${r.generation} in ${fmt(r.durationMs)} ms`
    })
  }
  const disabled = !canAct || busy
  return html`<section class="panel" aria-labelledby="actions-title">
    <h2 id="actions-title">Actions</h2>
    ${canAct ? '' : html`<p class="muted">The dashboard is read-only (<code>manager.dashboard</code> is <code>"readonly"</code>).</p>`}
    <form class="inline" onSubmit=${broadcast} aria-label="Broadcast">
      <label>Room<input name="broadcast-room" value=${target.room} disabled=${disabled || target.all} required=${!target.all} onInput=${(e) => setTarget({ ...target, room: e.target.value })} /></label>
      <label class="check"><input type="checkbox" name="broadcast-all" checked=${target.all} disabled=${disabled} onChange=${(e) => setTarget({ ...target, all: e.target.checked })} />Everyone</label>
      <label>Event<input name="broadcast-event" value=${target.event} disabled=${disabled} onInput=${(e) => setTarget({ ...target, event: e.target.value })} /></label>
      <label>Info<input name="broadcast-info" value=${target.info} disabled=${disabled} onInput=${(e) => setTarget({ ...target, info: e.target.value })} /></label>
      <label>Param (JSON)<input name="broadcast-param" value=${target.param} disabled=${disabled} onInput=${(e) => setTarget({ ...target, param: e.target.value })} /></label>
      <button type="submit" disabled=${disabled}>${pending === 'broadcast' ? 'Confirm broadcast' : 'Broadcast'}</button>
    </form>
    <form class="inline" onSubmit=${pushTo} aria-label="Push">
      <label>Uid<input name="push-uid" value=${push.uid} required disabled=${disabled} onInput=${(e) => setPush({ ...push, uid: e.target.value })} /></label>
      <label>Event<input name="push-event" value=${push.event} disabled=${disabled} onInput=${(e) => setPush({ ...push, event: e.target.value })} /></label>
      <label>Info<input name="push-info" value=${push.info} disabled=${disabled} onInput=${(e) => setPush({ ...push, info: e.target.value })} /></label>
      <label>Param (JSON)<input name="push-param" value=${push.param} disabled=${disabled} onInput=${(e) => setPush({ ...push, param: e.target.value })} /></label>
      <button type="submit" disabled=${disabled}>${pending === 'push' ? 'Confirm push' : 'Push'}</button>
    </form>
    <div class="inline"><button type="button" disabled=${disabled} onClick=${reload}>${pending === 'reload' ? 'Confirm reload' : 'Reload the workers'}</button></div>
    <${ErrorLine} error=${error} />
    ${result ? html`<p class="result" role="status" data-testid="action-result">${result}</p>` : ''}
  </section>`
}

// ---- the page -----------------------------------------------------------------------------

function Dashboard({ session, onLogout }) {
  const { status, error, history, inRate, outRate } = useStatus()
  const canAct = session.mode === 'on'
  const logout = async () => {
    try {
      await api('/dashboard/logout', { method: 'POST' })
    } finally {
      onLogout()
    }
  }
  return html`<div>
    <header class="top">
      <h1>mswoole ${status ? html`<span class="muted">${status.node}</span>` : ''}</h1>
      <div>
        <span class=${canAct ? 'badge' : 'badge warn'} data-testid="mode">${canAct ? 'full access' : 'read-only'}</span>
        ${session.keyed ? html` <button class="secondary" onClick=${logout}>Log out</button>` : ''}
      </div>
    </header>
    <${ErrorLine} error=${error} />
    <${Overview} status=${status} inRate=${inRate} outRate=${outRate} />
    <${Charts} history=${history} />
    <${Actions} canAct=${canAct} />
    <${Connections} canAct=${canAct} onAction=${() => undefined} />
    <${Rooms} />
    <${Workers} status=${status} />
    <${Logs} />
  </div>`
}

function App() {
  const [session, setSession] = useState(null)
  const [error, setError] = useState(null)
  const check = useCallback(async () => {
    try {
      setSession(await api('/dashboard/session'))
      setError(null)
    } catch (err) {
      setError(err)
    }
  }, [])
  useEffect(() => {
    check()
    window.addEventListener('mswoole-logged-out', check)
    return () => window.removeEventListener('mswoole-logged-out', check)
  }, [check])
  if (error) return html`<${ErrorLine} error=${error} />`
  if (!session) return html`<p class="muted">Loading…</p>`
  if (!session.authenticated) return html`<${Login} onDone=${check} />`
  return html`<${Dashboard} session=${session} onLogout=${() => setSession({ ...session, authenticated: false })} />`
}

render(html`<${App} />`, document.getElementById('app'))
