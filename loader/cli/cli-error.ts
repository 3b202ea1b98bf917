/** A mistake in how a command was called, or an outcome to report: its message is shown without a stack trace. */
export class CliError extends Error {
  readonly exitCode: number = 1;
}
