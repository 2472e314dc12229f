/**
 * V8 settings that keep memory flat (SPEC §5: peak RSS under 150 MB however many recordings, with no
 * `NODE_OPTIONS` needed), applied by the bin before anything else is loaded.
 *
 * Profiled (process.memoryUsage, v8.getHeapSpaceStatistics, /proc/<pid>/smaps, heaptrack): what the
 * tool keeps alive is small and flat (15–20 MB of V8 heap after a full GC, whatever the count).
 * The peak came from garbage: each recording allocates ~0.4 MB that dies at once (got's request
 * objects, the CDR XML, fs promises, 16 KiB TLS chunks and their copies in the HTTP parser), and
 * V8 sized its heap for that allocation rate, not for the data held:
 * - the young generation grew to its 64-bit maximum, two 16 MB semi-spaces (33.6 MB), and the
 *   TLS/HTTP chunk buffers (malloc'd, freed only when their objects are collected) piled up to
 *   16 MB between the rare young collections;
 * - the old generation was let grow up to 4× what survived the last full collection (50–60 MB for
 *   under 20 MB live).
 * Two flags fix that. Both are read by V8 at every collection, so they work when set at run time
 * (`--max-semi-space-size` and `--max-old-space-size` are read only at start-up and would need
 * `NODE_OPTIONS` or a re-exec):
 * - `--semi-space-growth-factor=1`: the young generation keeps its start-up size (1 MB semi-spaces),
 *   so young collections run often and short-lived buffers are freed promptly;
 * - `--heap-growing-percent=20`: after a full collection the old generation may grow by 20% (at
 *   least V8's minimum step) before the next one.
 * Cost: a little CPU (about 5–10% more per recording, from more frequent collections).
 */
import v8 from 'node:v8';

export const HEAP_FLAGS = ['--semi-space-growth-factor=1', '--heap-growing-percent=20'] as const;

/** The operator's own heap settings win: flags of that kind in NODE_OPTIONS or execArgv. */
const OPERATOR_HEAP_SETTING = /semi[-_]space|heap[-_]growing/;

/**
 * Applies HEAP_FLAGS unless the operator set the young generation or the growing factor
 * themselves. Returns whether it did. Call it before the tool's modules are imported.
 */
export function tuneHeap(
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
  execArgv: readonly string[] = process.execArgv,
): boolean {
  if (OPERATOR_HEAP_SETTING.test(`${nodeOptions} ${execArgv.join(' ')}`)) return false;
  for (const flag of HEAP_FLAGS) v8.setFlagsFromString(flag);
  return true;
}
