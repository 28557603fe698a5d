/**
 * Every scenario bench/run.ts runs, in order. To add one: write
 * bench/scenarios/<name>.ts exporting a `Scenario`, and list it here.
 */
import type { Scenario } from '../lib/scenario.js'
import { cliLatency } from './cli-latency.js'
import { clusterFanOut } from './cluster-fan-out.js'
import { dashboard } from './dashboard.js'
import { fanOut } from './fan-out.js'
import { history } from './history.js'
import { memory } from './memory.js'
import { reloadUnderLoad } from './reload-under-load.js'
import { requestReply } from './request-reply.js'
import { workerChannel } from './worker-channel.js'

export const SCENARIOS: readonly Scenario[] = [
  requestReply,
  reloadUnderLoad,
  workerChannel,
  fanOut,
  clusterFanOut,
  history,
  memory,
  cliLatency,
  dashboard,
]
