import type { FastifyInstance } from 'fastify'
import type { Broker } from '../broker.js'

export type HttpRoutes = (app: FastifyInstance, broker: Broker) => void | Promise<void>
