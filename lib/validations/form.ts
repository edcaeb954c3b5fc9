/**
 * A server action's form argument as FormData. Actions are public endpoints: a caller can post any
 * arguments, not only what React's form sends, and a non-form must fail validation (a message),
 * not crash the action (a 500).
 */
export function asForm(form: unknown): FormData {
  return form instanceof FormData ? form : new FormData();
}
