import { setImmediate as nextTurn } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { batcher, unbatch } from '../../src/contracts/thread-batch.js'

describe('batcher', () => {
  it('hands over what one piece of synchronous work posted as one batch, in order', async () => {
    const batches: number[][] = []
    const post = batcher<number>((batch) => batches.push(batch))
    post(1)
    post(2)
    post(3)
    expect(batches).toEqual([])
    await Promise.resolve()
    expect(batches).toEqual([[1, 2, 3]])
    post(4)
    await Promise.resolve()
    expect(batches).toEqual([[1, 2, 3], [4]])
  })

  it('with setImmediate, keeps one batch open across microtasks until the turn ends', async () => {
    const batches: string[][] = []
    const post = batcher<string>((batch) => batches.push(batch), setImmediate)
    // As socket reads do: separate callbacks of one turn, with microtasks run between them.
    post('a')
    await Promise.resolve()
    post('b')
    await Promise.resolve()
    expect(batches).toEqual([])
    await nextTurn()
    expect(batches).toEqual([['a', 'b']])
    post('c')
    await nextTurn()
    expect(batches).toEqual([['a', 'b'], ['c']])
  })
})

describe('unbatch', () => {
  it('takes a batch or a single message', () => {
    expect(unbatch([1, 2])).toEqual([1, 2])
    expect(unbatch(3)).toEqual([3])
  })
})
