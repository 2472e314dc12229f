/**
 * Named points where the test suite can kill the process for real (SIGKILL, no clean-up), to
 * prove that a crash at exactly that moment loses and duplicates nothing. The core only names the
 * point (`RunEvents.reached`); the face reads GENESYS_INGEST_CRASH_AT from its environment and
 * passes this in. Inert unless the variable names the point.
 */
export function crashAt(env: NodeJS.ProcessEnv): (point: string) => void {
  const named = env.GENESYS_INGEST_CRASH_AT;
  return (point) => {
    if (named !== undefined && named === point) process.kill(process.pid, 'SIGKILL');
  };
}
