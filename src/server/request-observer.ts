/**
 * What a connection reports about each request it handled: its API and how long the handler
 * took (a long-poll Fetch includes its wait, as Kafka's request time does). The metrics
 * implement it; a broker without metrics passes none and the connection takes no timings.
 */
export interface RequestObserver {
  requestHandled: (apiKey: number, seconds: number) => void
}
