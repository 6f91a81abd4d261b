/**
 * A request the server refuses, with the HTTP status to answer and a message that names what was
 * wrong. Everything else that escapes a handler is a server fault (500) and is reported as such.
 */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (message: string): RequestError => new RequestError(400, message);
export const notFound = (message: string): RequestError => new RequestError(404, message);
