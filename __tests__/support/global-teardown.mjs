import { teardown } from './tmp-root.mjs'

export default teardown
