/** A request a stubbed fetch received. */
export interface StubbedRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

/** A `fetch` that records each request and answers from `answer` (no network). */
export function stubFetch(
  answer: (
    request: StubbedRequest,
    index: number,
  ) => Response | Promise<Response>,
): typeof fetch & { requests: StubbedRequest[] } {
  const requests: StubbedRequest[] = [];
  const stub = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const recorded: StubbedRequest = {
      url: request.url,
      method: request.method,
      headers: Object.fromEntries(request.headers),
      body: await request.text(),
    };
    requests.push(recorded);
    return answer(recorded, requests.length - 1);
  };
  return Object.assign(stub, { requests });
}

/** A JSON response. */
export function json(
  body: unknown,
  status = 200,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}
