import type { Hash, WriteContractErrorType } from "viem";
import { readContract } from "viem/actions";

import type { BulkheadAddresses } from "../deployment.js";
import { toBulkheadError, type DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError, PermitNotSupportedError } from "../errors/sdk.js";
import { riskConfigAbi } from "../generated/abis.js";
import { settlementTokenAbi } from "../abis.js";
import { ensureAllowance, type Approval } from "../internal/approval.js";
import { accountOf, type WriteClient } from "../internal/client.js";
import { boundPrice, DEFAULT_SLIPPAGE_BPS, resolveTrade } from "../internal/trade.js";
import { sendRequest } from "../internal/write.js";
import { ratioOfNotionalUp, scaleOf } from "../math/positionMath.js";
import { simulateOpenPosition, type SimulateOpenPositionParameters } from "./simulateOpenPosition.js";

export interface OpenPositionParameters extends SimulateOpenPositionParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine" | "riskConfig" | "asset">;
  /** How to get the allowance for collateral + keeper reserve + fee if it is short (default `"approve"`). */
  approval?: Approval | undefined;
}

/** The open transaction's hash; `waitForPositionOpened` turns it into the new id (or use `openPositionAndWait`). */
export type OpenPositionReturnType = Hash;

export type OpenPositionErrorType =
  DecodedRevert | AccountRequiredError | PermitNotSupportedError | WriteContractErrorType;

/**
 * Opens a position: makes sure the engine may pull collateral, keeper reserve and opening fee (an approval or a
 * permit when needed, waited for), simulates the open (a revert surfaces as a typed error), then sends it.
 */
export async function openPosition(
  client: WriteClient,
  parameters: OpenPositionParameters,
): Promise<OpenPositionReturnType> {
  const { addresses, marketId, isLong, size, collateral, approval = "approve" } = parameters;
  const account = accountOf(client, parameters.account, "openPosition");
  const trade = await resolveTrade(client, addresses, marketId, isLong, parameters);
  if (approval !== "none") {
    let needed: bigint;
    try {
      const [market, global, decimals] = await Promise.all([
        readContract(client, {
          address: addresses.riskConfig,
          abi: riskConfigAbi,
          functionName: "marketParams",
          args: [marketId],
        }),
        readContract(client, { address: addresses.riskConfig, abi: riskConfigAbi, functionName: "globalParams" }),
        readContract(client, { address: addresses.asset, abi: settlementTokenAbi, functionName: "decimals" }),
      ]);
      // The fee is paid at the execution price: bounded for a long, estimated with the slippage for a short.
      const worst = trade.acceptablePrice > trade.price ? trade.acceptablePrice : trade.price;
      const feePrice = boundPrice(worst, true, parameters.slippageBps ?? DEFAULT_SLIPPAGE_BPS);
      const fee = ratioOfNotionalUp(size, feePrice, market.openFeeRatio, scaleOf(decimals));
      needed = collateral + global.keeperReserve + fee;
    } catch (error) {
      throw toBulkheadError(error);
    }
    await ensureAllowance(client, {
      token: addresses.asset,
      spender: addresses.marginEngine,
      amount: needed,
      account,
      approval,
      deadline: trade.deadline,
    });
  }
  // The same price bound and deadline as the approval was sized for.
  const { request } = await simulateOpenPosition(client, {
    ...parameters,
    account,
    acceptablePrice: trade.acceptablePrice,
    deadline: trade.deadline,
  });
  return sendRequest(client, request);
}
