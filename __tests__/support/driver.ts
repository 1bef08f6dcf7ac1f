/** What the step after the action does with its credential: connect with the official driver and ping. */
import { MongoClient } from 'mongodb'

/** Connects with `connectionString` and runs ping; the client is always closed. */
export async function ping(connectionString: string): Promise<unknown> {
  const client = new MongoClient(connectionString, {
    serverSelectionTimeoutMS: 3000,
    connectTimeoutMS: 3000
  })
  try {
    await client.connect()
    return await client.db('admin').command({ ping: 1 })
  } finally {
    await client.close()
  }
}

/** The error `ping` fails with, or an Error saying it succeeded. */
export async function pingError(connectionString: string): Promise<unknown> {
  return ping(connectionString).then(
    () => new Error('ping succeeded'),
    (error: unknown) => error
  )
}
