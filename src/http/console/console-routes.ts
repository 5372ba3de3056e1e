/**
 * The web console: the page at `/`, its files under `/console/`, and the JSON and
 * Server-Sent-Events API under `/api/` it reads the broker through. Everything goes through the
 * Broker's public admin methods; nothing here is on the produce/fetch path. Mounted by the
 * broker's HTTP server (an HttpRoutes).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Broker } from '../../broker.js'
import type { Producer } from '../../client/producer.js'
import type { HttpRoutes } from '../http-routes.js'
import { LogRateLimiter, type Logger } from '../../logger.js'
import { ApiError, apiErrorOf } from './api-errors.js'
import { browseRequestOf, configEditOf, producedMessageOf, resetRequestOf } from './api-input.js'
import { groupSnapshotOf, takeSnapshot } from './broker-snapshot.js'
import { groupView, homeView, topicView } from './console-views.js'
import { EventStream } from './event-stream.js'
import { LiveSampler, type LiveSample } from './live-sampler.js'
import { browseMessages } from './message-browser.js'
import { StaticAssets } from './static-assets.js'

/** The page loads only its own files and talks only to this server; data never becomes markup. */
const PAGE_SECURITY = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer'
}

export interface ConsoleOptions {
  /** How often live pages get a new sample. Default 1000 ms. */
  sampleIntervalMs?: number
}

export const consoleRoutes: HttpRoutes = (app, broker) => { mountConsole(app, broker) }

export function mountConsole (app: FastifyInstance, broker: Broker, options: ConsoleOptions = {}): void {
  const log = broker.dispatcher.logger.child({ subsystem: 'console' })
  const sampler = new LiveSampler(async () => await takeSnapshot(broker), { intervalMs: options.sampleIntervalMs })
  const streams = new Set<EventStream>()
  const assets = new StaticAssets()
  app.addHook('onClose', async () => {
    for (const s of streams) s.end()
    sampler.close()
  })

  app.get('/', async (_request, reply) => sendAsset(reply, assets, 'index.html'))
  app.get<{ Params: { name: string } }>('/console/:name', async (request, reply) => sendAsset(reply, assets, request.params.name))

  void app.register(async (api) => {
    api.setErrorHandler(apiErrorHandler(log))
    api.setNotFoundHandler((request, reply) => {
      void reply.code(404).send({ error: `no console API at ${request.method} ${request.url}`, code: 'MR_ERR_NOT_FOUND' })
    })
    apiRoutes(api, broker, sampler, streams, log)
  }, { prefix: '/api' })
}

function sendAsset (reply: FastifyReply, assets: StaticAssets, name: string): FastifyReply {
  const asset = assets.get(name)
  if (asset === undefined) return reply.code(404).type('text/plain').send(`no console file '${name}'`)
  return reply.headers(PAGE_SECURITY).header('cache-control', 'no-cache').type(asset.contentType).send(asset.body)
}

function apiRoutes (api: FastifyInstance, broker: Broker, sampler: LiveSampler, streams: Set<EventStream>, log: Logger): void {
  let producer: Producer | null = null
  const streamFailures = new LogRateLimiter(10_000)

  api.get('/overview', async () => homeView(await sampler.current()))

  api.get('/console', async () => ({ listeners: sampler.listeners, sampling: sampler.sampling, snapshotsTaken: sampler.taken, streams: streams.size }))

  api.get('/broker', async () => {
    const memory = process.memoryUsage()
    return {
      config: broker.config,
      address: broker.address ?? null,
      workers: broker.config.workers,
      dataDir: broker.config.dataDir,
      topics: broker.listTopics().length,
      process: { pid: process.pid, node: process.version, uptimeSeconds: Math.round(process.uptime()), rssBytes: memory.rss, heapUsedBytes: memory.heapUsed }
    }
  })

  api.get<{ Params: { topic: string } }>('/topics/:topic', async (request) => {
    const [described, sample] = await Promise.all([broker.describeTopic(request.params.topic), sampler.current()])
    const live = topicView(sample, described.topic)
    return {
      ...(live ?? { time: sample.time, topic: described.topic, partitions: [], sizeBytes: 0, records: 0, offlinePartitions: 0, recordsPerSec: null, bytesPerSec: null }),
      topicId: described.topicId,
      config: described.config,
      defaults: broker.config.topicDefaults
    }
  })

  api.put<{ Params: { topic: string } }>('/topics/:topic/config', async (request) => {
    const edit = configEditOf(request.body)
    const current = await broker.describeTopic(request.params.topic)
    const config = { ...current.config, ...edit.set }
    for (const k of edit.remove) delete config[k]
    // alterTopicConfig replaces every override, so the edit is merged into the current ones first.
    await broker.alterTopicConfig({ topic: current.topic, config })
    log.info({ topic: current.topic, set: edit.set, remove: edit.remove }, 'topic config changed from the console')
    return { topic: current.topic, config: (await broker.describeTopic(current.topic)).config }
  })

  api.get<{ Params: { topic: string } }>('/topics/:topic/messages', async (request) => {
    return await browseMessages(broker, browseRequestOf(request.params.topic, request.query))
  })

  api.post<{ Params: { topic: string } }>('/topics/:topic/messages', async (request, reply) => {
    const message = producedMessageOf(request.body)
    producer ??= broker.producer({ acks: -1 })
    const [acked] = await producer.send({ topic: request.params.topic, messages: [message] })
    return await reply.code(201).send({ topic: acked!.topic, partition: acked!.partition, offset: Number(acked!.baseOffset) })
  })

  api.get<{ Params: { group: string } }>('/groups/:group', async (request) => {
    return { time: Date.now(), ...groupSnapshotOf(await broker.describeGroup(request.params.group)) }
  })

  api.post<{ Params: { group: string } }>('/groups/:group/reset-offsets', async (request) => {
    const reset = resetRequestOf(request.params.group, request.body)
    const results = await broker.resetGroupOffsets(reset)
    log.info({ group: reset.groupId, topic: reset.topic, to: String(reset.to), partitions: results.length }, 'group offsets reset from the console')
    return {
      results: results.map((r) => ({ topic: r.topic, partition: r.partition, previousOffset: r.previousOffset === null ? null : Number(r.previousOffset), newOffset: Number(r.newOffset) }))
    }
  })

  // --- live streams: one per open page

  const stream = (request: FastifyRequest, reply: FastifyReply, view: (sample: LiveSample) => unknown, what: string): void => {
    const out = new EventStream(request, reply)
    streams.add(out)
    const stop = sampler.subscribe((sample) => {
      if (sample instanceof Error) {
        const suppressed = streamFailures.admit('sample')
        if (suppressed !== null) log.warn({ err: sample.message, suppressed }, 'console could not sample the broker')
        out.send('failure', { error: sample.message, code: (sample as { code?: string }).code ?? 'MR_ERR_INTERNAL' })
        return
      }
      const data = view(sample)
      if (data === undefined) out.send('failure', { error: `${what} no longer exists`, code: 'MR_ERR_NOT_FOUND' })
      else out.send('sample', data)
    })
    out.onClose = () => {
      streams.delete(out)
      stop()
    }
  }

  api.get('/stream/home', (request, reply) => stream(request, reply, homeView, 'the broker'))

  api.get<{ Params: { topic: string } }>('/stream/topics/:topic', async (request, reply) => {
    const { topic } = request.params
    if (broker.listTopics().indexOf(topic) < 0) throw new ApiError(404, `unknown topic '${topic}'`, 'MR_ERR_UNKNOWN_TOPIC')
    stream(request, reply, (s) => topicView(s, topic), `topic '${topic}'`)
  })

  api.get<{ Params: { group: string } }>('/stream/groups/:group', async (request, reply) => {
    const { group } = request.params
    await broker.describeGroup(group) // 404 before the stream opens
    stream(request, reply, (s) => groupView(s, group), `group '${group}'`)
  })
}

/** Every API failure answers { error, code } with its status, and leaves a line in the broker's log. */
function apiErrorHandler (log: Logger): (err: unknown, request: FastifyRequest, reply: FastifyReply) => void {
  const lines = new LogRateLimiter(5000)
  return (err, request, reply) => {
    const { status, body } = apiErrorOf(err)
    const route = request.routeOptions.url ?? request.url
    const suppressed = lines.admit(`${request.method} ${route} ${status} ${body.code}`)
    if (suppressed !== null) {
      const fields = { method: request.method, url: request.url, status, code: body.code, error: body.error, suppressed }
      if (status >= 500) log.warn(fields, 'console request failed')
      else log.info(fields, 'console request refused')
    }
    void reply.code(status).send(body)
  }
}
