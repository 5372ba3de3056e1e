/**
 * CPU time and memory of another process on this machine, from /proc (Linux). Used to show
 * how busy the broker and its peers were next to the load generator's own CPU time.
 * Returns undefined where /proc is missing or the process is gone.
 */
import { readFileSync } from 'node:fs'

/** Linux reports CPU times in clock ticks; 100 per second on every mainstream kernel build. */
const TICKS_PER_SECOND = 100

export interface ProcessSnapshot { cpuSec: number, rssMb: number, peakRssMb: number }

export function processSnapshot (pid: number): ProcessSnapshot | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name, which may hold spaces, start past the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const cpuSec = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN)
    return { cpuSec, rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 }
  } catch {
    return undefined
  }
}

/** This process's CPU time (all threads) in seconds. */
export function ownCpuSec (): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}
