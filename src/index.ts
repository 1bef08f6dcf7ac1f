/** Main entry (action.yml `runs.main`). */
import { preconnect } from './atlas/preconnect.js'

// The handshake to Atlas goes on while the rest of the action loads and checks its inputs; the
// first request takes the connection, and nothing is sent on it before then.
const preconnection = preconnect(process.env)
await preconnection?.underway()
const { run } = await import('./main.js')
try {
  await run(preconnection ? { preconnection } : {})
} finally {
  preconnection?.discard()
}
