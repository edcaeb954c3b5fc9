/** Bad input that a form or the API reports field by field (400 in the API). */
export class InputError extends Error {
  constructor(
    message: string,
    readonly fieldErrors: Record<string, string[]>,
  ) {
    super(message);
  }
}
