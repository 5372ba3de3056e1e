// fs-ext ships no types; these cover the one call Millrace makes.
declare module 'fs-ext' {
  type FlockFlag = 'sh' | 'ex' | 'shnb' | 'exnb' | 'un'
  export function flock (fd: number, flag: FlockFlag, callback: (err: NodeJS.ErrnoException | null) => void): void
  export function flockSync (fd: number, flag: FlockFlag): void
}
