/**
 * What each console page gets from a LiveSample: the home page a line per topic and group, a
 * topic page its partitions, a group page its offsets. Shared by the JSON reads and the streams.
 */
import type { LiveSample, LiveTopic } from './live-sampler.js'
import type { GroupSnapshot } from './broker-snapshot.js'

export interface HomeView {
  time: number
  topics: Array<Omit<LiveTopic, 'partitions'> & { partitions: number }>
  groups: Array<{ groupId: string, state: string, protocolType: string, members: number, lag: number, topics: string[] }>
  problems: string[]
}

export function homeView (sample: LiveSample): HomeView {
  return {
    time: sample.time,
    topics: sample.topics.map(({ partitions, ...t }) => ({ ...t, partitions: partitions.length })),
    groups: sample.groups.map((g) => ({
      groupId: g.groupId,
      state: g.state,
      protocolType: g.protocolType,
      members: g.members.length,
      lag: g.lag,
      topics: [...new Set(g.offsets.map((o) => o.topic))].sort()
    })),
    problems: sample.problems
  }
}

export interface TopicView extends LiveTopic { time: number }

/** undefined when the topic is not in the sample (unknown, or deleted). */
export function topicView (sample: LiveSample, topic: string): TopicView | undefined {
  const t = sample.topics.find((x) => x.topic === topic)
  return t === undefined ? undefined : { time: sample.time, ...t }
}

export interface GroupView extends GroupSnapshot { time: number }

export function groupView (sample: LiveSample, groupId: string): GroupView | undefined {
  const g = sample.groups.find((x) => x.groupId === groupId)
  return g === undefined ? undefined : { time: sample.time, ...g }
}
