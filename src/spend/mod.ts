/**
 * What a campaign spends: each paid request priced from what its provider reported and the
 * configured `pricing`.
 * @module
 */
export { PriceList, type ScriptUsage } from "./price_list.ts";
export { type BudgetEvent, money, SpendGuard, type SpendVerdict } from "./spend_guard.ts";
