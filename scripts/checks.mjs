// The type check and the lint of `npm test`, side by side: each keeps one core
// busy, and neither needs the other. Each one's output is printed whole once it
// ends, and the exit code fails when either failed.
import { execa } from 'execa'

const checks = ['typecheck', 'lint']
const results = await Promise.all(checks.map((script) => execa('npm', ['run', '--silent', script], { all: true, reject: false })))
for (const [i, result] of results.entries()) {
  process.stdout.write(`> ${checks[i]}\n${result.all ? `${result.all}\n` : ''}`)
  if (result.exitCode !== 0) process.stdout.write(`${checks[i]} failed (exit ${result.exitCode})\n`)
}
process.exitCode = results.every((result) => result.exitCode === 0) ? 0 : 1
