/**
 * The HTTP core under every provider client: deadlines, capped bodies, Retry-After, and
 * provider error tables mapped into the taxonomy.
 * @module
 */
export {
  classifyResponse,
  type ErrorKind,
  type ErrorResponse,
  type ErrorRule,
  type ErrorTable,
} from "./error_table.ts";
export {
  HttpClient,
  type HttpClientOptions,
  type HttpDeps,
  type HttpRequest,
  type HttpResponse,
  type NetworkDeps,
} from "./http_client.ts";

export { parseRetryAfter } from "./retry_after.ts";
export { webhookErrors } from "./webhook_errors.ts";
