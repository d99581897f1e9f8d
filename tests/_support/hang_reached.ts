import type { FakeServer } from "../../src/fake_providers/mod.ts";

/** Resolves when `fake` receives a call its script makes hang (the moment to act). */
export function hangReached(fake: FakeServer): Promise<void> {
  return new Promise((resolve) => {
    const subscription = fake.onCall((call) => {
      if (call.result === "hang" || call.result === "hang-after") {
        subscription[Symbol.dispose]();
        resolve();
      }
    });
  });
}
