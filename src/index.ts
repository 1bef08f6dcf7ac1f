/** Main entry (action.yml `runs.main`). */
import { run } from './main.js'

await run()
