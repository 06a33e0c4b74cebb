/** A tuning failure the user can fix: the message names the node, file, line or field; `fix` says what to do. */
export class TuneError extends Error {
  constructor(
    message: string,
    readonly fix?: string,
    readonly node?: string,
  ) {
    super(message);
    this.name = 'TuneError';
  }
}
