import { fileURLToPath } from 'node:url'

/** The repository root, whatever folder the bench was started from. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '')
export const RESULTS_DIR = `${REPO_ROOT}/bench/results`
export const BENCHMARKS_MD = `${REPO_ROOT}/BENCHMARKS.md`
export const CHARTS_DIR = `${REPO_ROOT}/bench/charts`
