/** Piscina worker for bench/runtime-affinity.ts: answers with the task's id, as cheaply as possible. */
export default function echo(task: { id: number }): number {
  return task.id;
}
