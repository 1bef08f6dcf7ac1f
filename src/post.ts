/** Post entry (action.yml `runs.post`): cleanup of what the main step created. */
import { runPost } from './cleanup.js'

await runPost()
