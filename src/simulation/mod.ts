/**
 * The seed scenario, run through the real agent against mock services, and its narrative.
 * @module
 */
export {
  fallbackScenario,
  type Scenario,
  type ScenarioName,
  scenarioNamed,
  scenarios,
  seedScenario,
  withConfiguredFaults,
} from "./scenario.ts";
export { runSimulation, type SimulationDeps, type SimulationResult } from "./run_simulation.ts";
export { simulationPage, type SimulationPageTitle } from "./simulation_page.ts";
