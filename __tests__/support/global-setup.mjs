import { setup } from './tmp-root.mjs'

export default setup
