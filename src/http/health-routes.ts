/**
 * GET /health: 200 while the process serves HTTP (a liveness probe).
 * GET /ready: 200 when the Kafka listener is up, every partition is online and recovered and no
 * data dir has failed,
 * else 503 with a JSON body saying why (./readiness.ts).
 */
import type { HttpRoutes } from './http-routes.js'
import { readiness } from './readiness.js'

export const healthRoutes: HttpRoutes = (app, broker) => {
  app.get('/health', async () => ({ status: 'ok' }))

  app.get('/ready', async (_request, reply) => {
    const dispatcher = broker.dispatcher
    const offlineDirs = dispatcher.workers.offlineDataDirs
    const recoveringPartitions: string[] = []
    for (const p of dispatcher.topics.partitions()) if (!p.online && !offlineDirs.has(p.dataDir)) recoveringPartitions.push(`${p.topic}-${p.partition}`)
    const answer = readiness({
      listenerMissing: broker.config.port !== undefined && broker.port === undefined,
      offlineTopics: dispatcher.offlineTopicProblems(),
      recoveringPartitions,
      offlineDataDirs: offlineDirs.list()
    })
    return await reply.code(answer.ready ? 200 : 503).send(answer)
  })
}
