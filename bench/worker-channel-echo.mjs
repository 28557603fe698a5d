// The far end of bench/worker-channel.ts: answers each message (or batch) with a frame string per message.
import { parentPort } from 'node:worker_threads'

const frame = '{"status":200,"event":"success","info":"done"}'
const answer = (message) => (Array.isArray(message) ? message.map(() => frame) : frame)
if (parentPort) parentPort.on('message', (m) => parentPort.postMessage(answer(m)))
else process.on('message', (m) => process.send(answer(m)))
