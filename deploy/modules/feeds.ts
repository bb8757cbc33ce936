import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { CallableContractFuture } from "@nomicfoundation/ignition-core";

import { futureIdOf, type MarketSpec } from "./plan.js";

/**
 * One Chainlink feed per market, keyed by market name. Local chains get a `MockV3Aggregator` per market, answering
 * the parameter file's price; a testnet binds to the existing aggregators.
 */
export function priceFeedsModule(markets: readonly MarketSpec[]) {
  return buildModule("PriceFeeds", (m) => {
    const feeds: Record<string, CallableContractFuture<string>> = {};
    for (const { name, feed, params } of markets) {
      const id = `Feed_${futureIdOf(name)}`;
      feeds[name] =
        "mockAnswer" in feed
          ? m.contract("MockV3Aggregator", [params.feedDecimals, feed.mockAnswer], { id })
          : m.contractAt("AggregatorV3Interface", feed.address, { id });
    }
    return feeds;
  });
}
