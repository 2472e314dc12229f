/** A command that ended with an error to tell, and an exit code already decided (a run's outcome). */
export class StoppedWith extends Error {
  constructor(
    readonly exitCode: number,
    readonly error: unknown,
  ) {
    super('stopped', { cause: error });
    this.name = 'StoppedWith';
  }
}
