/**
 * The base of every failure the action reports on purpose. A leaf: each error knows its own
 * annotation, so the report names no module that throws.
 */

/** A failure that names itself: `title` is the annotation's title, `annotation` its text. */
export class TitledError extends Error {
  constructor(
    readonly title: string,
    message: string,
    options?: ErrorOptions
  ) {
    super(message, options)
    this.name = 'TitledError'
  }

  /** The annotation's text: what happened and what to do. */
  get annotation(): string {
    return this.message
  }
}

/** A bad input, named, with what is accepted: reported before any request is sent. */
export class InputError extends TitledError {
  constructor(
    readonly input: string,
    message: string
  ) {
    super(`Invalid input: ${input}`, message)
    this.name = 'InputError'
  }
}
