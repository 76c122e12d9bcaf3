/** The database could not be reached or refused the login; the message names the cause, never the URL. */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}
