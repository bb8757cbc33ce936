import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { ContractCallFuture } from "@nomicfoundation/ignition-core";
import { ZeroAddress } from "ethers";

import { futureIdOf, type AnyModule, type MarketSpec, type ModuleWith } from "./plan.js";

/**
 * Lists the markets with their risk parameters (and sets the L2 sequencer feed, if any). Runs while RiskConfig's
 * functions are still unassigned in the AccessManager, so only its admin, the deployer, may call them; the governance
 * module restricts them to the governance role afterwards. Ids follow the file's order: market 0 is the first entry.
 */
export function marketsModule(
  riskConfig: ModuleWith<"riskConfig">,
  feeds: AnyModule,
  markets: readonly MarketSpec[],
  sequencerFeed: string,
) {
  return buildModule("Markets", (m) => {
    const { riskConfig: config } = m.useModule(riskConfig);
    const feedContracts = m.useModule(feeds);
    let previous: ContractCallFuture<string, string> | undefined;
    for (const { name, params } of markets) {
      const feed = feedContracts[name];
      if (feed === undefined) throw new Error(`no feed for market ${name}`);
      // One after the other: market ids are the listing order.
      previous = m.call(config, "listMarket", [{ feed, ...params }], {
        id: `List_${futureIdOf(name)}`,
        after: previous === undefined ? [] : [previous],
      });
    }
    if (sequencerFeed !== ZeroAddress) m.call(config, "setSequencerFeed", [sequencerFeed], { id: "SetSequencerFeed" });
    return { riskConfig: config };
  });
}
