/** Every route module the broker's HTTP endpoint serves. `/`, `/api/*` and `/console/*` are the web console's. */
import type { HttpRoutes } from './http-routes.js'
import { healthRoutes } from './health-routes.js'
import { metricsRoutes } from './metrics-routes.js'
import { consoleRoutes } from './console/console-routes.js'

export const HTTP_ROUTES: readonly HttpRoutes[] = [healthRoutes, metricsRoutes, consoleRoutes]
