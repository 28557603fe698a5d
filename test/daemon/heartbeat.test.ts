import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startDaemon, useProjects } from '../helpers/cli.js'
import { mintToken, TestClient } from '../helpers/client.js'
import { poll } from '../helpers/poll.js'
import { FIXTURE_APP } from '../helpers/project.js'

const project = useProjects()

describe('heartbeat', () => {
  it('closes a silent connection that does not answer pings, and keeps one whose pongs arrive', async () => {
    const { outside } = await startDaemon(
      await project({ app: FIXTURE_APP, setting: { heartbeat_idle_time: 3, heartbeat_check_interval: 1, ack: false } }),
    )
    const url = `ws://127.0.0.1:${outside.port}/?auth=${await mintToken({ id: 1, type: 'wall', code: 'r' })}`
    // The idle time leaves the live client two missed pings of slack on a loaded machine.
    const alive = await TestClient.connect(url)
    const pinged = once(alive.ws, 'ping')
    // autoPong off: this peer looks dead to the server.
    const dead = await TestClient.connect(url, { autoPong: false })
    const deadFd = ((await dead.ask({ method: 'index.index.echo' }, 'echo')).param as { fd: number }).fd
    await dead.ask({ method: 'probe.probe.join', room: 'probe-room' }, 'joined')

    const closed = await dead.closed()
    expect(closed).toEqual({ code: 4408, reason: 'idle timeout' })
    await pinged
    // The live client said nothing either, but its pongs count as activity.
    expect(alive.ws.readyState).toBe(WebSocket.OPEN)
    expect(await alive.ask({ method: 'echo' }, 'echo')).toMatchObject({ status: 200 })
    // A heartbeat close runs the close hooks like any other: onClose counted itself once.
    const ran = await poll(
      async () => (await alive.ask({ method: 'probe.probe.get', key: `closed:${deadFd}` }, 'value')).param,
      // A key not set yet comes back without a param (the seed leaves an empty one out).
      (value) => value !== undefined && value !== null,
    )
    expect(ran).toBe('1')
    alive.close()
  })
})
