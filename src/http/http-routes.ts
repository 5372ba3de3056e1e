/**
 * A module of HTTP routes: the HTTP server (./http-server.ts) calls each with its fastify
 * instance and the broker it serves. Routes read broker state through the broker's admin
 * methods, never on the produce/fetch path.
 */
import type { FastifyInstance } from 'fastify'
import type { Broker } from '../broker.js'

export type HttpRoutes = (app: FastifyInstance, broker: Broker) => void | Promise<void>
