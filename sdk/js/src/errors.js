// Typed errors. Every error answer becomes an APIError subclass carrying the HTTP status,
// the API's error code, its message, the offending field and the raw body; network
// failures become APIConnectionError.

/** The base of every error this SDK throws. */
export class Context0Error extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The server answered with an error status (either API's error shape). */
export class APIError extends Context0Error {
  constructor(message, { status, code = null, field = null, body = null, headers = {} } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
    this.body = body;
    this.headers = headers;
  }
}

/** 400 (an unreadable body) or 422 (a field that fails validation). */
export class ValidationError extends APIError {}
/** 401: missing, malformed, badly signed, expired or revoked credentials. */
export class AuthenticationError extends APIError {}
/** 403 (missing scope, disabled user) or 402 (disabled user on /context/view/docs). */
export class PermissionDeniedError extends APIError {}
/** 404: not found, or someone else's. */
export class NotFoundError extends APIError {}
/** 429: beyond the hourly limit; `retryAfter` is in seconds (null when not given). */
export class RateLimitError extends APIError {
  constructor(message, options = {}) {
    super(message, options);
    this.retryAfter = options.retryAfter ?? null;
  }
}
/** 5xx. */
export class ServerError extends APIError {}

/** No answer: the connection failed or broke before a response arrived. */
export class APIConnectionError extends Context0Error {}
/** No answer within the client's timeout. */
export class APITimeoutError extends APIConnectionError {}

/** A job waited on with `jobs.wait()` ended failed or cancelled; `job` is its record. */
export class JobFailedError extends Context0Error {
  constructor(job) {
    super(`job ${job.id} (${job.kind}) ${job.state}: ${job.last_error}`);
    this.job = job;
  }
}

/** A wait helper ran out of time; `last` is what it saw last. */
export class WaitTimeoutError extends Context0Error {
  constructor(message, last = null) {
    super(message);
    this.last = last;
  }
}

/** A webhook delivery whose signature, id or timestamp does not check out. */
export class WebhookVerificationError extends Context0Error {}

/** The error class for an HTTP error status. */
export function errorForStatus(status) {
  if (status === 400 || status === 422) return ValidationError;
  if (status === 401) return AuthenticationError;
  if (status === 402 || status === 403) return PermissionDeniedError;
  if (status === 404) return NotFoundError;
  if (status === 429) return RateLimitError;
  if (status >= 500) return ServerError;
  return APIError;
}
