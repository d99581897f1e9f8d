import { ServiceUnavailableError } from "../errors.ts";

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
