/** Post entry (action.yml `runs.post`): cleanup of what the main step created. */
import { run } from './post-step.js'

await run()
