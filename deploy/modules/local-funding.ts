import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import type { AnyModule, FundingPlan, ModuleWith } from "./plan.js";

/**
 * Funding: mints the mock token to the node's first accounts (local chains, rehearsals) and seeds the pool, so that a
 * trader can open a position right after the deployment. With an existing token (a testnet) the seed comes from the
 * deployer's own balance, which the deploy command checks before anything is sent.
 */
export function localFundingModule(
  asset: ModuleWith<"asset">,
  pool: ModuleWith<"pool">,
  engine: AnyModule,
  plan: FundingPlan,
) {
  return buildModule("LocalFunding", (m) => {
    const { asset: token } = m.useModule(asset);
    const { pool: liquidityPool } = m.useModule(pool);
    m.useModule(engine);
    for (let i = 0; i < plan.accounts; i++) {
      m.call(token, "mint", [m.getAccount(i), plan.amount], { id: `Fund_Account${i}` });
    }
    if (plan.poolSeed > 0n) {
      const deployer = m.getAccount(0);
      const mint = plan.mint ? [m.call(token, "mint", [deployer, plan.poolSeed], { id: "MintPoolSeed" })] : [];
      const approve = m.call(token, "approve", [liquidityPool, plan.poolSeed], { id: "ApprovePoolSeed" });
      // After the engine is bound, so the pool values its shares as it always will.
      // Pool v2 stop-gap: the seed is requested; it joins the pool once executed after lpDelay.
      m.call(liquidityPool, "requestDeposit", [plan.poolSeed, deployer, deployer], {
        id: "DepositPoolSeed",
        after: [...mint, approve, engine],
      });
    }
    return { pool: liquidityPool };
  });
}
