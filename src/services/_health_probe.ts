import { ServiceUnavailableError } from "../errors.ts";
import type { HttpClient } from "../http/mod.ts";

/** A health probe that got an answer other than what it asked for (a 200 from a proxy's error
 * page, garbage): the service is not healthy, whatever the status said. */
export function malformedProbe(
  service: string,
  request: string,
  expected: string,
): ServiceUnavailableError {
  return new ServiceUnavailableError({
    service,
    code: "malformed_response",
    message: `health probe ${request} answered 200 without ${expected}`,
  });
}

/** A probe that is healthy only when `GET path` answers a model list (`{data: [...]}`, as
 * OpenAI's and Anthropic's do): a 200 of anything else is unhealthy, as the real call's would
 * be. */
export async function probeModelList(
  http: HttpClient,
  service: string,
  path: string,
  signal?: AbortSignal,
): Promise<void> {
  const body = await http.json<{ data?: unknown }>({ method: "GET", path, signal });
  if (!Array.isArray(body?.data)) throw malformedProbe(service, `GET ${path}`, "a model list");
}
