import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici'

const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']

/**
 * The HTTP dispatcher: through the proxy named by HTTPS_PROXY/HTTP_PROXY (NO_PROXY honoured, either
 * case), as the runner's other tools do, or direct. Built only when the step sends a request.
 */
export function createDispatcher(env: Readonly<Record<string, string | undefined>>): Dispatcher {
  const options = { connect: { timeout: 30_000 } }
  return PROXY_VARIABLES.some(name => env[name])
    ? new EnvHttpProxyAgent(options)
    : new Agent(options)
}
