/** Kafka's rules for topic names: 1–249 characters of [a-zA-Z0-9._-], not "." or "..". */
const LEGAL = /^[a-zA-Z0-9._-]+$/
export const MAX_TOPIC_NAME_LENGTH = 249

/** Returns why `name` is not a legal topic name, or null when it is. */
export function topicNameProblem (name: unknown): string | null {
  if (typeof name !== 'string') return 'must be a string'
  if (name.length === 0) return 'must not be empty'
  if (name.length > MAX_TOPIC_NAME_LENGTH) return `must be at most ${MAX_TOPIC_NAME_LENGTH} characters`
  if (name === '.' || name === '..') return 'must not be "." or ".."'
  if (!LEGAL.test(name)) return 'may contain only ASCII letters, digits, ".", "_" and "-"'
  return null
}
