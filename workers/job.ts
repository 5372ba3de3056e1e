// Entry point of the background job pool (piscina): one stateless function per task.
export { default } from '../src/jobs/tasks.js'
