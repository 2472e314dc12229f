/**
 * Named points where the test suite can kill the process for real (SIGKILL, no clean-up), to
 * prove that a crash at exactly that moment loses and duplicates nothing. Inert unless the
 * environment variable GENESYS_INGEST_CRASH_AT names the point.
 */
export function crashPoint(name: string): void {
  if (process.env.GENESYS_INGEST_CRASH_AT === name) process.kill(process.pid, 'SIGKILL');
}
