import { fc } from '@fast-check/vitest'

/**
 * FC_SEED=<n> replays the properties with the seed a failure printed
 * ("… (with seed=<n>)"); without it each run draws a new one.
 */
const seed = process.env.FC_SEED
if (seed !== undefined && seed !== '') {
  if (!/^-?\d+$/.test(seed)) throw new Error(`FC_SEED must be an integer, as a failed property prints it; got "${seed}"`)
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: Number(seed) })
}
