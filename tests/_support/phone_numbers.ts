/**
 * The `i`-th of 8,000,000 distinct numbers the North American plan has in use: area code 415,
 * exchanges 200 to 999, each with 10,000 lines (`+14152000000`, `+14152000001`, ...). A made-up
 * number that no plan has (`+14150000123`, area code 000) is an invalid row, as it should be.
 */
export function phoneNumber(i: number): string {
  return `+1415${200 + Math.floor(i / 10_000)}${String(i % 10_000).padStart(4, "0")}`;
}
