/**
 * Gas benchmark (SPEC §3): whole-transaction gas (receipt.gasUsed) of every engine and LP operation on the embedded chain
 * (Hardhat EDR, L1 rules), with the real Chainlink MockV3Aggregator, a 6-decimal OpenZeppelin ERC-20, warm-but-realistic
 * state and time advancing between transactions.
 *
 *   npx hardhat run scripts/bench-gas.ts      (npm run bench:gas)
 *
 * Prints a table and writes reports/gas.json (the figures checked against the targets) and reports/gas-detail.json
 * (every measurement, with the scenario). Deterministic: every transaction's block time is pinned, so two runs give
 * the same numbers.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { MaxUint256, type ContractTransactionResponse } from "ethers";
import { network } from "hardhat";

import {
  BTC,
  ETH,
  ETH_PRICE,
  BTC_PRICE,
  START_TIME,
  USD,
  WAD,
  deployBulkhead,
  feedOf,
  type Bulkhead,
} from "../deploy/system.js";

/** SPEC §3 targets, whole-transaction gas. */
const TARGETS = {
  open: 150_000n,
  addMargin: 55_000n,
  removeMargin: 70_000n,
  increase: 75_000n,
  decrease: 75_000n,
  close: 100_000n,
  liquidate: 95_000n,
  liquidateBatchPerPosition: 45_000n,
  liquidateBatchSkip: 5_000n,
  takeProfit: 95_000n,
  lpRequestDeposit: 70_000n,
  lpRequestRedeem: 70_000n,
  lpExecutePerRequest: 50_000n,
} as const;
/** Measured and reported, with no SPEC target of their own. */
const UNTARGETED = ["lpExecuteDepositsPerRequest", "lpExecuteRedeemsPerRequest"] as const;
type Operation = keyof typeof TARGETS | (typeof UNTARGETED)[number];

/** Seconds between two ordinary transactions (one L1 slot). */
const SLOT = 12n;
/** The bench's own schedule starts well after the fixture, whatever the wall clock did while deploying. */
const BENCH_START = BigInt(START_TIME) + 100_000n;

const connection = await network.create({ chainType: "l1" });
const s: Bulkhead = await deployBulkhead(connection);
const { time } = connection.networkHelpers;

let clock = BENCH_START;

/** Sends one transaction in its own block, `seconds` after the previous one, and returns its gas. */
async function send(tx: () => Promise<ContractTransactionResponse>, seconds: bigint = SLOT): Promise<bigint> {
  clock += seconds;
  await time.setNextBlockTimestamp(clock);
  const receipt = await (await tx()).wait();
  if (receipt === null || receipt.status !== 1) throw new Error("benchmark transaction failed");
  return receipt.gasUsed;
}

/** A fresh Chainlink round for the market (USD WAD; a multiple of 1e10). */
async function price(marketId: bigint, usdWad: bigint, seconds: bigint = SLOT): Promise<void> {
  await send(() => feedOf(s, marketId).updateAnswer(usdWad / 10n ** 10n), seconds);
}

async function fund(who: HardhatEthersSigner, amount: bigint): Promise<void> {
  await send(() => s.usd.mint(who, amount));
  await send(() => s.usd.connect(who).approve(s.engine, MaxUint256));
}

async function open(
  who: HardhatEthersSigner,
  marketId: bigint,
  isLong: boolean,
  size: bigint,
  collateral: bigint,
): Promise<{ id: bigint; gas: bigint }> {
  const id = await s.engine.nextPositionId();
  const gas = await send(() =>
    s.engine.connect(who).open(marketId, isLong, size, collateral, isLong ? MaxUint256 : 0n, clock + 3_600n),
  );
  return { id, gas };
}

/** Claims every share of `who`'s executed deposit requests. */
async function claimShares(who: HardhatEthersSigner): Promise<void> {
  const shares = await s.pool.maxMint(who);
  await send(() => s.pool.connect(who)["mint(uint256,address)"](shares, who));
}

function deadline(): bigint {
  return clock + 3_600n;
}

const { lp2, alice, bob, carol, keeper } = s.actors;
const traders = [alice, bob, carol, ...s.actors.others.slice(0, 5)];

// ---------------------------------------------------------------- warm state
// Fresh rounds after the deployment, a second LP, funded traders, open positions on both markets and both sides, a
// normal close and a liquidation already done (so the pool, the insurance fund, the keeper and every trader already
// hold the asset: no measured transfer is the first into an empty balance).
await price(ETH, ETH_PRICE);
await price(BTC, BTC_PRICE);
// A second LP, the ERC-7540 way: request now, executed by the keeper lpDelay later (below), claimed.
await send(() => s.usd.mint(lp2, 250_000n * USD + s.lp.executionFee));
await send(() => s.usd.connect(lp2).approve(s.pool, MaxUint256));
await send(() => s.pool.connect(lp2).requestDeposit(250_000n * USD + s.lp.executionFee, lp2, lp2));
for (const trader of traders) await fund(trader, 200_000n * USD);
await send(() => s.usd.mint(keeper, 1n * USD));
await send(() => s.pool.connect(keeper).executeDeposits([lp2.address]), s.lp.lpDelay);
await claimShares(lp2);
// One redemption done already (requested, executed, claimed), so the queue and the claims are not pristine.
await send(() => s.pool.connect(lp2).requestRedeem(1_000n * 10n ** 6n * 10n ** 6n, lp2, lp2));
await send(() => s.pool.connect(keeper).executeRedeems(1n), s.lp.lpDelay);
const warmRedeemed = await s.pool.maxWithdraw(lp2);
await send(() => s.pool.connect(lp2).withdraw(warmRedeemed, lp2, lp2));

const background: bigint[] = [];
for (const [i, trader] of traders.entries()) {
  background.push((await open(trader, ETH, i % 2 === 0, (WAD * BigInt(i + 1)) / 2n, 2_000n * USD)).id);
  background.push((await open(trader, BTC, i % 2 === 1, (WAD * BigInt(i + 1)) / 40n, 2_000n * USD)).id);
}
await price(ETH, 3_010n * WAD, 600n);
await price(BTC, 60_100n * WAD, SLOT);
const warmClose = background.shift();
if (warmClose === undefined) throw new Error("no background position");
const warmOwner = traders[0];
if (warmOwner === undefined) throw new Error("no trader");
await send(() => s.engine.connect(warmOwner).close(warmClose, 0n, deadline()));
// One liquidation, so that the insurance fund and the keeper hold a balance.
const warmVictim = await open(bob, ETH, true, WAD, 310n * USD);

// Positions that the crash below makes liquidatable (identical shapes, owners spread over the traders) and healthy
// ones to be skipped. Opened before any measurement, so the measured operations see the same market state.
const SINGLE = 1;
const BATCH_SMALL = 10;
const BATCH_LARGE = 50;
const victims: bigint[] = [];
for (let i = 0; i < SINGLE + BATCH_SMALL + BATCH_LARGE + BATCH_SMALL; i++) {
  const owner = traders[i % traders.length];
  if (owner === undefined) throw new Error("no trader");
  victims.push((await open(owner, ETH, true, WAD, 310n * USD)).id);
}
const healthy: bigint[] = [];
for (let i = 0; i < BATCH_SMALL; i++) {
  const owner = traders[(i + 3) % traders.length];
  if (owner === undefined) throw new Error("no trader");
  healthy.push((await open(owner, ETH, true, WAD, 1_000n * USD)).id);
}
await price(ETH, 3_000n * WAD, 900n);
await price(BTC, 60_000n * WAD, SLOT);

// ---------------------------------------------------------------- trading operations
const gas: Record<string, bigint> = {};

const measured = await open(carol, ETH, true, WAD, 600n * USD);
gas.open = measured.gas;
const id = measured.id;
await price(ETH, 3_020n * WAD, 300n);
gas.addMargin = await send(() => s.engine.connect(carol).addMargin(id, 100n * USD), 300n);
await price(ETH, 3_030n * WAD, 300n);
gas.removeMargin = await send(() => s.engine.connect(carol).removeMargin(id, 50n * USD), 300n);
await price(ETH, 3_040n * WAD, 300n);
gas.increase = await send(() => s.engine.connect(carol).increase(id, WAD / 2n, 0n, MaxUint256, deadline()), 300n);
await price(ETH, 3_050n * WAD, 300n);
gas.increaseWithCollateral = await send(
  () => s.engine.connect(carol).increase(id, WAD / 2n, 100n * USD, MaxUint256, deadline()),
  300n,
);
await price(ETH, 3_100n * WAD, 300n);
gas.decrease = await send(() => s.engine.connect(carol).decrease(id, WAD / 2n, 0n, deadline()), 300n);
await price(ETH, 3_150n * WAD, 300n);
gas.close = await send(() => s.engine.connect(carol).close(id, 0n, deadline()), 300n);

// A close at a loss (vault pays the pool and the owner) for the detail report.
await price(BTC, 60_000n * WAD, 300n);
const losing = await open(alice, BTC, true, WAD / 10n, 1_000n * USD);
await price(BTC, 59_000n * WAD, 300n);
gas.closeAtLoss = await send(() => s.engine.connect(alice).close(losing.id, 0n, deadline()), 300n);

// ---------------------------------------------------------------- liquidations
// A realistic crash: the previous round is 20 minutes old, the crash round lands a slot before the keeper's
// transaction (so the grace-period check reads one past round, as it would on a live feed).
await price(ETH, 3_000n * WAD, 1_200n);
await price(BTC, 60_000n * WAD, SLOT);
await price(ETH, 2_750n * WAD, 1_200n);
await send(() => s.engine.connect(keeper).liquidate(warmVictim.id));

const [single, ...rest] = victims;
if (single === undefined) throw new Error("no victim");
const small = rest.slice(0, BATCH_SMALL);
const large = rest.slice(BATCH_SMALL, BATCH_SMALL + BATCH_LARGE);
const mixedVictims = rest.slice(BATCH_SMALL + BATCH_LARGE);
const liquidatable = await s.lens.liquidatable([single, ...rest, ...healthy]);
if (liquidatable.slice(0, 1 + rest.length).some((x) => !x) || liquidatable.slice(1 + rest.length).some((x) => x)) {
  throw new Error("benchmark positions are not in the expected state");
}

gas.liquidate = await send(() => s.engine.connect(keeper).liquidate(single));
gas.liquidateBatch10 = await send(() => s.engine.connect(keeper).liquidateBatch(small));
gas.liquidateBatch50 = await send(() => s.engine.connect(keeper).liquidateBatch(large));
// The same ten-position batch, with ten healthy positions interleaved.
const mixed = mixedVictims.flatMap((victim, i) => {
  const other = healthy[i];
  if (other === undefined) throw new Error("no healthy position");
  return [victim, other];
});
gas.liquidateBatch10Plus10Healthy = await send(() => s.engine.connect(keeper).liquidateBatch(mixed));
// Ids that are no longer open (just liquidated) or were never opened, on their own.
gas.liquidateBatchOf10Gone = await send(() => s.engine.connect(keeper).liquidateBatch(small));
gas.liquidateBatchOf10Healthy = await send(() => s.engine.connect(keeper).liquidateBatch(healthy));
gas.liquidateBatchEmpty = await send(() => s.engine.connect(keeper).liquidateBatch([]));

// ---------------------------------------------------------------- LP requests (ERC-7540)
// Ten controllers (the LPs and the traders, who all hold the asset already), each requesting a deposit; one batch
// executes them all lpDelay later (per request: the batch's gas / 10); each claims; then each requests a redemption
// and one executeRedeems(10) executes them (the pool has the free liquidity for all). The markets have open interest
// and fresh prices at least lpSettle old, as on a live deployment.
const { lp } = s.actors;
const controllers = [lp, lp2, ...traders].slice(0, BATCH_SMALL);
await price(ETH, 2_750n * WAD, 300n);
await price(BTC, 60_000n * WAD, SLOT);
for (const controller of controllers) {
  await send(() => s.usd.mint(controller, 10_000n * USD));
  await send(() => s.usd.connect(controller).approve(s.pool, MaxUint256));
}
const [firstController, ...otherControllers] = controllers;
if (firstController === undefined) throw new Error("no controller");
gas.lpRequestDeposit = await send(() =>
  s.pool.connect(firstController).requestDeposit(1_000n * USD, firstController, firstController),
);
for (const controller of otherControllers) {
  await send(() => s.pool.connect(controller).requestDeposit(1_000n * USD, controller, controller));
}
await price(ETH, 2_760n * WAD, s.lp.lpDelay);
await price(BTC, 60_010n * WAD, SLOT);
gas.lpExecuteDeposits10 = await send(() => s.pool.connect(keeper).executeDeposits(controllers.map((c) => c.address)));
for (const controller of controllers) await claimShares(controller);
const redeemShares = 500n * 10n ** 6n * 10n ** 6n;
gas.lpRequestRedeem = await send(() =>
  s.pool.connect(firstController).requestRedeem(redeemShares, firstController, firstController),
);
for (const controller of otherControllers) {
  await send(() => s.pool.connect(controller).requestRedeem(redeemShares, controller, controller));
}
await price(ETH, 2_770n * WAD, s.lp.lpDelay);
await price(BTC, 60_020n * WAD, SLOT);
gas.lpExecuteRedeems10 = await send(() => s.pool.connect(keeper).executeRedeems(BigInt(BATCH_SMALL)));
if ((await s.pool.redeemQueue()).length !== 0) throw new Error("the redemptions were not all executed");
const perDeposit = gas.lpExecuteDeposits10 / BigInt(BATCH_SMALL);
const perRedeem = gas.lpExecuteRedeems10 / BigInt(BATCH_SMALL);

// ---------------------------------------------------------------- take profit
// Longs of 1 ETH on 1,000 USD at 2,770: capped at min(900 % of 1,000, 100 % of 2,770) = 2,770 USD, reached at 5,540.
const winners: bigint[] = [];
for (let i = 0; i < 1 + BATCH_SMALL; i++) {
  const owner = traders[i % traders.length];
  if (owner === undefined) throw new Error("no trader");
  winners.push((await open(owner, ETH, true, WAD, 1_000n * USD)).id);
}
await price(ETH, 5_600n * WAD, 600n);
const [winner, ...batchWinners] = winners;
if (winner === undefined) throw new Error("no winner");
if ((await s.lens.atCap(winners)).some((x) => !x)) throw new Error("benchmark positions are not at their cap");
gas.takeProfit = await send(() => s.engine.connect(keeper).takeProfit(winner));
gas.takeProfitBatch10 = await send(() => s.engine.connect(keeper).takeProfitBatch(batchWinners));

const perSmall = gas.liquidateBatch10 / BigInt(BATCH_SMALL);
const perLarge = gas.liquidateBatch50 / BigInt(BATCH_LARGE);
const skip = (gas.liquidateBatch10Plus10Healthy - gas.liquidateBatch10) / BigInt(BATCH_SMALL);

// ---------------------------------------------------------------- report
const figures: Record<Operation, bigint> = {
  open: gas.open,
  addMargin: gas.addMargin,
  removeMargin: gas.removeMargin,
  increase: gas.increase,
  decrease: gas.decrease,
  close: gas.close,
  liquidate: gas.liquidate,
  // The worse of the two batch sizes: a batch of 10 carries more fixed cost per position than one of 50.
  liquidateBatchPerPosition: perSmall > perLarge ? perSmall : perLarge,
  liquidateBatchSkip: skip,
  takeProfit: gas.takeProfit,
  lpRequestDeposit: gas.lpRequestDeposit,
  lpRequestRedeem: gas.lpRequestRedeem,
  lpExecuteDepositsPerRequest: perDeposit,
  lpExecuteRedeemsPerRequest: perRedeem,
  // The larger of the two: what a keeper should budget per request it executes.
  lpExecutePerRequest: perDeposit > perRedeem ? perDeposit : perRedeem,
};

const rows: [string, bigint, bigint | undefined][] = [
  ["open (with its new vault)", figures.open, TARGETS.open],
  ["addMargin", figures.addMargin, TARGETS.addMargin],
  ["removeMargin", figures.removeMargin, TARGETS.removeMargin],
  ["increase", figures.increase, TARGETS.increase],
  ["  increase, with collateral", gas.increaseWithCollateral, TARGETS.increase],
  ["decrease", figures.decrease, TARGETS.decrease],
  ["close (in profit)", figures.close, TARGETS.close],
  ["  close, at a loss", gas.closeAtLoss, TARGETS.close],
  ["liquidate (one position)", figures.liquidate, TARGETS.liquidate],
  ["liquidateBatch, per position (n = 10)", perSmall, TARGETS.liquidateBatchPerPosition],
  ["liquidateBatch, per position (n = 50)", perLarge, TARGETS.liquidateBatchPerPosition],
  ["liquidateBatch, per skipped healthy position", figures.liquidateBatchSkip, TARGETS.liquidateBatchSkip],
  ["takeProfit (one position)", figures.takeProfit, TARGETS.takeProfit],
  ["takeProfitBatch, per position (n = 10)", gas.takeProfitBatch10 / BigInt(BATCH_SMALL), undefined],
  ["LP requestDeposit", figures.lpRequestDeposit, TARGETS.lpRequestDeposit],
  ["LP requestRedeem", figures.lpRequestRedeem, TARGETS.lpRequestRedeem],
  ["LP executeDeposits, per request (n = 10)", figures.lpExecuteDepositsPerRequest, TARGETS.lpExecutePerRequest],
  ["LP executeRedeems, per request (n = 10)", figures.lpExecuteRedeemsPerRequest, TARGETS.lpExecutePerRequest],
];
const header = ["operation", "gas", "SPEC target", "within target"];
const table = rows.map(([name, used, target]) => [
  name,
  used.toLocaleString("en-US"),
  target === undefined ? "—" : `≤ ${target.toLocaleString("en-US")}`,
  target === undefined ? "—" : used <= target ? "yes" : "no",
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] ?? "").length)));
const line = (cells: string[]): string =>
  cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  ");
console.log();
console.log(line(header));
console.log(widths.map((w) => "-".repeat(w)).join("  "));
for (const row of table) console.log(line(row));
console.log();

const reports = path.resolve(import.meta.dirname, "..", "reports");
await mkdir(reports, { recursive: true });
const asNumbers = (o: Record<string, bigint>): Record<string, number> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Number(v)]));
await writeFile(path.join(reports, "gas.json"), JSON.stringify(asNumbers(figures), null, 2) + "\n");
await writeFile(
  path.join(reports, "gas-detail.json"),
  JSON.stringify(
    {
      chain: {
        chainType: connection.chainType,
        network: connection.networkName,
        hardfork: "hardfork" in connection.networkConfig ? connection.networkConfig.hardfork : undefined,
      },
      scenario: {
        openPositionsBeforeMeasuring: background.length + victims.length + healthy.length,
        lps: 2,
        liquidatedShape: "1 ETH long on 310 USD opened at 3,000, liquidated at 2,750 (owner refund > 0)",
        healthyShape: "1 ETH long on 1,000 USD",
        oracle: "last round 1,200 s before the crash round; crash round one slot before the liquidation",
        liquidateBatchPerPosition: "max of the per-position costs of batches of 10 and 50",
        liquidateBatchSkip: "(batch of 10 liquidatable + 10 healthy − batch of 10 liquidatable) / 10",
        takeProfit: "1 ETH long on 1,000 USD opened at 2,770 (cap 2,770 USD, bounded by notional), price 5,600",
        lp: "10 controllers who hold shares and the asset already; requests of 1,000 USD and 500 shares",
        lpExecutePerRequest: "max of executeDeposits(10 controllers) / 10 and executeRedeems(10) / 10",
      },
      targets: asNumbers(TARGETS),
      figures: asNumbers(figures),
      transactions: asNumbers(gas),
      perPosition: { batchOf10: Number(perSmall), batchOf50: Number(perLarge) },
      perLpRequest: { executeDeposits: Number(perDeposit), executeRedeems: Number(perRedeem) },
    },
    null,
    2,
  ) + "\n",
);
console.log(`wrote ${path.relative(process.cwd(), path.join(reports, "gas.json"))} and gas-detail.json`);
