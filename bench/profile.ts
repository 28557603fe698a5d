/**
 * CPU profiles of the daemon under the request/reply load, for finding where a
 * reply's time goes: the master and every worker thread write a .cpuprofile
 * (`node --cpu-prof`), and the heaviest functions of each are printed.
 *
 *   node --import tsx bench/profile.ts [--connections 200] [--seconds 10] [--out DIR]
 *
 * Needs a build. Open a profile in Chrome DevTools (Performance tab) or speedscope for more.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { runLoad } from './load-client.js'
import { isMain } from './lib/is-main.js'
import { startMswoole } from './lib/mswoole-target.js'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

/** Self time per function, in ms, heaviest first. */
export function selfTimes(profile: CpuProfile): Array<{ name: string; ms: number; share: number }> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const totals = new Map<string, number>()
  let all = 0
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)
    const delta = (profile.timeDeltas[i] ?? 0) / 1000
    if (node === undefined) return
    const { functionName, url, lineNumber } = node.callFrame
    const file = url === '' ? '' : ` ${url.replace(/^.*\/(node_modules|dist|src)\//, '$1/')}:${lineNumber + 1}`
    const name = `${functionName || '(anonymous)'}${file}`
    totals.set(name, (totals.get(name) ?? 0) + delta)
    all += delta
  })
  return [...totals].map(([name, ms]) => ({ name, ms, share: all === 0 ? 0 : ms / all })).sort((a, b) => b.ms - a.ms)
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      connections: { type: 'string', default: '200' },
      seconds: { type: 'string', default: '10' },
      out: { type: 'string', default: path.join(process.cwd(), '.cache', 'profiles') },
      top: { type: 'string', default: '15' },
    },
  })
  const connections = Number(values.connections)
  const out = path.resolve(values.out)
  await rm(out, { recursive: true, force: true })
  await mkdir(out, { recursive: true })
  const target = await startMswoole({ tokens: connections, cpuProfDir: out })
  try {
    const result = await runLoad({ url: (i) => target.url(i), connections, duration: Number(values.seconds), warmup: 2 })
    process.stdout.write(`${result.requestsPerSecond} req/s over ${values.seconds} s\n`)
  } finally {
    await target.stop()
  }
  for (const file of (await readdir(out)).filter((name) => name.endsWith('.cpuprofile')).sort()) {
    const profile = JSON.parse(await readFile(path.join(out, file), 'utf8')) as CpuProfile
    const times = selfTimes(profile)
    const total = times.reduce((sum, t) => sum + t.ms, 0)
    if (total < 500) continue
    process.stdout.write(`\n${file}: ${Math.round(total)} ms sampled\n`)
    for (const t of times.slice(0, Number(values.top))) {
      process.stdout.write(`  ${(t.share * 100).toFixed(1).padStart(5)}%  ${t.ms.toFixed(0).padStart(6)} ms  ${t.name}\n`)
    }
  }
}

if (isMain(import.meta.url)) await main()
