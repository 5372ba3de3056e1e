/** GET /metrics: the broker's metrics in Prometheus text format (./metrics/broker-metrics.ts). */
import type { HttpRoutes } from './http-routes.js'

export const metricsRoutes: HttpRoutes = (app, broker) => {
  app.get('/metrics', async (_request, reply) => {
    const metrics = broker.metrics
    if (metrics === null) return await reply.code(404).send({ error: 'this broker collects no metrics' })
    const text = await metrics.render()
    return await reply.type(metrics.contentType).send(text)
  })
}
