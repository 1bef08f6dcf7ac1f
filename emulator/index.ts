/** Local emulator of the MongoDB Atlas Admin API endpoints the X.509 action calls. */
export { startEmulator } from './facade.js'
export {
  SEEDED_GROUP_ID,
  OTHER_GROUP_ID,
  EMULATOR_CREDENTIALS,
  SEEDED_CLUSTER,
  SEEDED_FLEX_CLUSTER
} from './seed.js'
export { computeDigestResponse, parseDigestHeader, type DigestParams } from './digest.js'
export type * from './types.js'
