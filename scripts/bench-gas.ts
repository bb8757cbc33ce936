/**
 * Gas benchmark (SPEC §3): whole-transaction gas (receipt.gasUsed) of every engine and LP operation on the embedded chain
 * (Hardhat EDR, L1 rules), with the real Chainlink MockV3Aggregator and a 6-decimal OpenZeppelin ERC-20.
 *
 *   npx hardhat run scripts/bench-gas.ts      (npm run bench:gas)
 *
 * SPEC §3's measuring rules, and how this file follows them:
 * - realistic state: nothing measured is an early transaction of the deployment; two LPs, a redemption already done,
 *   ~100 positions on both markets and sides opened through orders, closes and liquidations already done;
 * - accounts cold as they would be: every measurement is its own transaction (each starts cold, EIP-2929), and the
 *   executor of every measured execution, liquidation, take-profit and LP execution is a fresh account that never
 *   held the asset, so its first reward is paid to a fresh balance (gas-detail.json also gives liquidate and
 *   takeProfit by a keeper that already holds the asset, for comparison);
 * - time advances between transactions: every block time is pinned on a schedule (one 12 s slot apart, more where a
 *   rule needs it), so two runs give the same numbers;
 * - orders: a request is measured alone; an execution is the gas of `executeOrders` over 10 orders of 10 owners at
 *   their round, divided by 10; the round is published a slot after the last request, executed a slot later;
 * - liquidation: one position with a non-zero owner refund, its market's previous round 20 minutes old; "first in a
 *   crash" is the first liquidation after ten minutes of falling prices with a round every minute (the grace check
 *   reads back through them); batches run in that crash; a skip is a batch of 10 healthy positions minus an empty
 *   batch, divided by 10.
 *
 * Prints a table against the SPEC targets and writes reports/gas.json (the figures the targets apply to, exactly the
 * keys of TARGETS) and reports/gas-detail.json (every transaction measured, with the scenario).
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import {
  MaxUint256,
  Wallet,
  type ContractRunner,
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
} from "ethers";
import { network } from "hardhat";

import {
  ANY_PRICE,
  BTC,
  BTC_PRICE,
  ETH,
  ETH_PRICE,
  START_TIME,
  USD,
  WAD,
  deployBulkhead,
  feedOf,
  openFeeOf,
  type Bulkhead,
} from "../deploy/system.js";

/** SPEC §3 targets, whole-transaction gas; execution figures per order in a batch of 10. */
const TARGETS = {
  requestOpenNewVault: 150_000n,
  requestOpenReusedVault: 110_000n,
  executeOpen: 70_000n,
  requestIncrease: 60_000n,
  requestDecrease: 60_000n,
  requestClose: 60_000n,
  executeIncrease: 75_000n,
  executeDecrease: 75_000n,
  executeClose: 75_000n,
  addMargin: 55_000n,
  removeMargin: 85_000n,
  liquidate: 95_000n,
  liquidateCrash: 120_000n,
  liquidateBatchPerPosition: 35_000n,
  liquidateBatchSkip: 3_000n,
  takeProfit: 95_000n,
  lpRequestDeposit: 70_000n,
  lpRequestRedeem: 70_000n,
  lpExecutePerRequest: 50_000n,
} as const;
type Operation = keyof typeof TARGETS;

/** Seconds between two ordinary transactions (one L1 slot). */
const SLOT = 12n;
/** Orders are executed in batches of this many (SPEC §3), liquidations measured in batches of 10 and 50. */
const BATCH = 10;
const BATCH_LARGE = 50;
/** The bench's own schedule starts well after the fixture, whatever the wall clock did while deploying. */
const BENCH_START = BigInt(START_TIME) + 100_000n;

const connection = await network.create({ chainType: "l1" });
const s: Bulkhead = await deployBulkhead(connection);
const { time } = connection.networkHelpers;
const fee = s.global.minExecutionFee;
const maxOrderWait = s.markets[0].maxOrderWait;

let clock = BENCH_START;

/** Sends one transaction in its own block, `seconds` after the previous one, and returns its receipt. */
async function sendTx(
  tx: () => Promise<ContractTransactionResponse>,
  seconds: bigint = SLOT,
): Promise<ContractTransactionReceipt> {
  clock += seconds;
  await time.setNextBlockTimestamp(clock);
  const receipt = await (await tx()).wait();
  if (receipt === null || receipt.status !== 1) throw new Error("benchmark transaction failed");
  return receipt;
}

/** `sendTx`, returning the gas. */
async function send(tx: () => Promise<ContractTransactionResponse>, seconds: bigint = SLOT): Promise<bigint> {
  return (await sendTx(tx, seconds)).gasUsed;
}

/** The latest answer of each market, USD WAD. */
const prices = new Map<bigint, bigint>([
  [ETH, ETH_PRICE],
  [BTC, BTC_PRICE],
]);

/** A new Chainlink round for the market (USD WAD, a multiple of 1e10; default: unchanged). */
async function round(marketId: bigint, usdWad?: bigint, seconds: bigint = SLOT): Promise<void> {
  const answer = usdWad ?? prices.get(marketId) ?? 0n;
  prices.set(marketId, answer);
  await send(() => feedOf(s, marketId).updateAnswer(answer / 10n ** 10n), seconds);
}

async function fund(who: HardhatEthersSigner, amount: bigint): Promise<void> {
  await send(() => s.usd.mint(who, amount));
  await send(() => s.usd.connect(who).approve(s.engine, MaxUint256));
}

/** An executor that has never held the asset (and has ether for gas): its first reward lands in a fresh balance. */
async function freshExecutor(): Promise<ContractRunner & { address: string }> {
  const wallet = Wallet.createRandom(connection.ethers.provider);
  await connection.networkHelpers.setBalance(wallet.address, 10n ** 20n);
  return wallet;
}

// ------------------------------------------------------------------ orders

interface OpenSpec {
  who: HardhatEthersSigner;
  marketId: bigint;
  isLong: boolean;
  size: bigint;
  /** Recorded collateral after the open: the opening fee at the current price is escrowed on top. */
  collateral: bigint;
}

async function requestOpen(o: OpenSpec): Promise<{ id: bigint; gas: bigint }> {
  const id = await s.engine.nextPositionId();
  const escrowed = o.collateral + openFeeOf(s, o.marketId, o.size, prices.get(o.marketId) ?? 0n);
  const gas = await send(() =>
    s.engine
      .connect(o.who)
      .requestOpen(o.marketId, o.isLong, o.size, escrowed, o.isLong ? ANY_PRICE : 0n, clock + maxOrderWait, fee),
  );
  return { id, gas };
}

async function ownerOf(id: bigint): Promise<{ owner: HardhatEthersSigner; isLong: boolean; marketId: bigint }> {
  const p = await s.engine.position(id);
  return { owner: await connection.ethers.getSigner(p.owner), isLong: p.isLong, marketId: p.marketId };
}

async function requestIncrease(id: bigint, sizeDelta: bigint, collateralDelta: bigint): Promise<bigint> {
  const { owner, isLong } = await ownerOf(id);
  return send(() =>
    s.engine
      .connect(owner)
      .requestIncrease(id, sizeDelta, collateralDelta, isLong ? ANY_PRICE : 0n, clock + maxOrderWait, fee),
  );
}

async function requestDecrease(id: bigint, sizeDelta: bigint): Promise<bigint> {
  const { owner, isLong } = await ownerOf(id);
  return send(() =>
    s.engine
      .connect(owner)
      .requestDecrease(id, sizeDelta, isLong ? 0n : ANY_PRICE, clock + maxOrderWait, fee, owner.address),
  );
}

async function requestClose(id: bigint): Promise<bigint> {
  const { owner, isLong } = await ownerOf(id);
  return send(() =>
    s.engine.connect(owner).requestClose(id, isLong ? 0n : ANY_PRICE, clock + maxOrderWait, fee, owner.address),
  );
}

/**
 * Publishes the next round of every market with an order among `ids` (a slot after the last request) and has
 * `executor` run `executeOrders(ids)` a slot later. Fails unless every order executed. Returns the gas.
 */
async function execute(ids: readonly bigint[], executor: ContractRunner = s.actors.keeper): Promise<bigint> {
  const markets = new Set<bigint>();
  for (const id of ids) markets.add((await s.engine.position(id)).marketId);
  for (const marketId of markets) await round(marketId);
  const receipt = await sendTx(() => s.engine.connect(executor).executeOrders([...ids]));
  const executed = receipt.logs.filter((log) => s.engine.interface.parseLog(log)?.name === "OrderExecuted").length;
  if (executed !== ids.length) throw new Error(`only ${executed} of ${ids.length} orders executed`);
  return receipt.gasUsed;
}

/** Opens positions through the two steps (warm keeper, batches of 25); returns their ids. */
async function openAll(specs: readonly OpenSpec[]): Promise<bigint[]> {
  const ids: bigint[] = [];
  for (let i = 0; i < specs.length; i += 25) {
    const chunk: bigint[] = [];
    for (const spec of specs.slice(i, i + 25)) chunk.push((await requestOpen(spec)).id);
    await execute(chunk);
    ids.push(...chunk);
  }
  return ids;
}

async function claimShares(who: HardhatEthersSigner): Promise<void> {
  const shares = await s.pool.maxMint(who);
  await send(() => s.pool.connect(who)["mint(uint256,address)"](shares, who));
}

const { lp2, alice, bob, carol, keeper } = s.actors;
const traders = [alice, bob, carol, ...s.actors.others.slice(0, 11)];
const trader = (i: number): HardhatEthersSigner => {
  const t = traders[i % traders.length];
  if (t === undefined) throw new Error("no trader");
  return t;
};

// ---------------------------------------------------------------- realistic state
// Fresh rounds after the deployment, a second LP (request, execution lpDelay later, claim), one redemption done,
// funded traders, positions on both markets and both sides, a close and a liquidation done.
await round(ETH, ETH_PRICE);
await round(BTC, BTC_PRICE);
await send(() => s.usd.mint(lp2, 250_000n * USD + s.lp.executionFee));
await send(() => s.usd.connect(lp2).approve(s.pool, MaxUint256));
await send(() => s.pool.connect(lp2).requestDeposit(250_000n * USD + s.lp.executionFee, lp2, lp2));
for (const t of traders) await fund(t, 200_000n * USD);
await round(ETH, undefined, s.lp.lpDelay);
await round(BTC);
await send(() => s.pool.connect(keeper).executeDeposits([lp2.address]));
await claimShares(lp2);
await send(() => s.pool.connect(lp2).requestRedeem(1_000n * 10n ** 6n * 10n ** 6n, lp2, lp2));
await round(ETH, undefined, s.lp.lpDelay);
await round(BTC);
await send(() => s.pool.connect(keeper).executeRedeems(1n));
const warmRedeemed = await s.pool.maxWithdraw(lp2);
await send(() => s.pool.connect(lp2).withdraw(warmRedeemed, lp2, lp2));

const background = await openAll(
  traders.flatMap((who, i) => [
    { who, marketId: ETH, isLong: i % 2 === 0, size: (WAD * BigInt((i % 6) + 1)) / 2n, collateral: 2_000n * USD },
    { who, marketId: BTC, isLong: i % 2 === 1, size: (WAD * BigInt((i % 6) + 1)) / 40n, collateral: 2_000n * USD },
  ]),
);
await round(ETH, 3_010n * WAD, 600n);
await round(BTC, 60_100n * WAD);
const warmClose = background.shift();
if (warmClose === undefined) throw new Error("no background position");
await requestClose(warmClose);
await execute([warmClose]);
const [warmVictim] = await openAll([{ who: bob, marketId: ETH, isLong: true, size: WAD, collateral: 310n * USD }]);
if (warmVictim === undefined) throw new Error("no victim");

// Positions that the crash below makes liquidatable: 1 ETH longs on 310 USD at 3,000 (identical shapes, owners spread
// over the traders), with a non-zero owner refund at 2,750; healthy ones to be skipped. Opened before measuring.
await round(ETH, 3_000n * WAD, 600n);
await round(BTC, 60_000n * WAD);
const victimCount = 2 + BATCH + BATCH_LARGE;
const victims = await openAll(
  Array.from({ length: victimCount }, (_, i) => ({
    who: trader(i),
    marketId: ETH,
    isLong: true,
    size: WAD,
    collateral: 310n * USD,
  })),
);
const healthy = await openAll(
  Array.from({ length: BATCH }, (_, i) => ({
    who: trader(i + 3),
    marketId: ETH,
    isLong: true,
    size: WAD,
    collateral: 1_000n * USD,
  })),
);

// ---------------------------------------------------------------- orders
const gas: Record<string, bigint> = {};
await round(ETH, 3_000n * WAD, 300n);
await round(BTC, 60_000n * WAD);
if ((await s.engine.freeVaultCount()) !== 0n) throw new Error("a free vault is left: the new-vault figure needs none");

// Ten owners request opens; the first is measured (a new vault: none is free); a fresh keeper executes all ten.
const group: bigint[] = [];
for (let i = 0; i < BATCH; i++) {
  const { id, gas: used } = await requestOpen({
    who: trader(i),
    marketId: ETH,
    isLong: i % 2 === 0,
    size: WAD,
    collateral: 600n * USD,
  });
  if (i === 0) gas.requestOpenNewVault = used;
  group.push(id);
}
gas.executeOpenBatch = await execute(group, await freshExecutor());

// A position closed: its emptied vault is free, and the next request reuses it.
const freed = background.shift();
if (freed === undefined) throw new Error("no background position");
await requestClose(freed);
await execute([freed]);
if ((await s.engine.freeVaultCount()) !== 1n) throw new Error("expected one free vault");
const reused = await requestOpen({
  who: trader(5),
  marketId: BTC,
  isLong: true,
  size: WAD / 10n,
  collateral: 1_000n * USD,
});
gas.requestOpenReusedVault = reused.gas;
await execute([reused.id]);

const [measuredId] = group;
if (measuredId === undefined) throw new Error("no position");
await round(ETH, 3_020n * WAD, 300n);
gas.addMargin = await send(() => s.engine.connect(trader(0)).addMargin(measuredId, 100n * USD));
await round(ETH, 3_030n * WAD, 300n);
gas.removeMargin = await send(() => s.engine.connect(trader(0)).removeMargin(measuredId, 50n * USD, trader(0)));

// The ten positions increase (with collateral), decrease and close, each a batch of ten orders executed at a round.
await round(ETH, 3_040n * WAD, 300n);
for (const [i, id] of group.entries()) {
  const used = await requestIncrease(id, WAD / 2n, 100n * USD);
  if (i === 0) gas.requestIncrease = used;
}
gas.executeIncreaseBatch = await execute(group, await freshExecutor());
await round(ETH, 3_100n * WAD, 300n);
for (const [i, id] of group.entries()) {
  const used = await requestDecrease(id, WAD / 2n);
  if (i === 0) gas.requestDecrease = used;
}
gas.executeDecreaseBatch = await execute(group, await freshExecutor());
await round(ETH, 3_050n * WAD, 300n);
for (const [i, id] of group.entries()) {
  const used = await requestClose(id);
  if (i === 0) gas.requestClose = used;
}
gas.executeCloseBatch = await execute(group, await freshExecutor());

// ---------------------------------------------------------------- liquidations
const [single, first, ...rest] = victims;
if (single === undefined || first === undefined) throw new Error("no victim");
const small = rest.slice(0, BATCH);
const large = rest.slice(BATCH, BATCH + BATCH_LARGE);

// An ordinary liquidation: the market's previous round is 20 minutes old, the new one a slot before the keeper.
await round(ETH, 3_000n * WAD, 1_200n);
await round(BTC);
await round(ETH, 2_750n * WAD, 1_200n);
await send(() => s.engine.connect(keeper).liquidate(warmVictim));
const liquidatable = await s.lens.liquidatable([...victims, ...healthy]);
if (liquidatable.slice(0, victimCount).some((x) => !x) || liquidatable.slice(victimCount).some((x) => x))
  throw new Error("benchmark positions are not in the expected state");
const preview = await s.lens.previewLiquidation(single);
if (preview.ownerRefund === 0n) throw new Error("the measured liquidation must refund its owner");
{
  // The same liquidation by a keeper that already holds the asset, for comparison; then undone.
  const snapshot = await connection.networkHelpers.takeSnapshot();
  const saved = clock;
  gas.liquidateWarmKeeper = await send(() => s.engine.connect(keeper).liquidate(single));
  await snapshot.restore();
  clock = saved;
}
gas.liquidate = await send(async () => s.engine.connect(await freshExecutor()).liquidate(single));

// A crash: ten minutes of falling prices, a round every minute; the first liquidation after the last round.
for (let minute = 1n; minute <= 10n; minute++) await round(ETH, (2_750n - 5n * minute) * WAD, 60n);
gas.liquidateCrash = await send(async () => s.engine.connect(await freshExecutor()).liquidate(first));
await round(ETH, 2_690n * WAD, 60n - SLOT);
gas.liquidateBatch10 = await send(async () => s.engine.connect(await freshExecutor()).liquidateBatch(small));
await round(ETH, 2_685n * WAD, 60n - SLOT);
gas.liquidateBatch50 = await send(async () => s.engine.connect(await freshExecutor()).liquidateBatch(large));
await round(ETH, 2_680n * WAD, 60n - SLOT);
if ((await s.lens.liquidatable(healthy)).some((x) => x)) throw new Error("a healthy position is liquidatable");
gas.liquidateBatchOf10Healthy = await send(() => s.engine.connect(keeper).liquidateBatch(healthy));
gas.liquidateBatchEmpty = await send(() => s.engine.connect(keeper).liquidateBatch([]));

// ---------------------------------------------------------------- LP requests (ERC-7540)
// Ten controllers (the LPs and traders, who hold the asset already) each request a deposit; one batch executes them
// lpDelay later (per request: the batch's gas / 10); each claims; then each requests a redemption and one
// executeRedeems(10) executes them. The markets have open interest and rounds at least lpSettle old.
const controllers = [s.actors.lp, lp2, ...traders].slice(0, BATCH);
await round(ETH, 2_750n * WAD, 300n);
await round(BTC, 60_000n * WAD);
for (const controller of controllers) {
  await send(() => s.usd.mint(controller, 10_000n * USD));
  await send(() => s.usd.connect(controller).approve(s.pool, MaxUint256));
}
for (const [i, controller] of controllers.entries()) {
  const used = await send(() => s.pool.connect(controller).requestDeposit(1_000n * USD, controller, controller));
  if (i === 0) gas.lpRequestDeposit = used;
}
await round(ETH, 2_760n * WAD, s.lp.lpDelay);
await round(BTC, 60_010n * WAD);
gas.lpExecuteDeposits10 = await send(async () =>
  s.pool.connect(await freshExecutor()).executeDeposits(controllers.map((c) => c.address)),
);
for (const controller of controllers) await claimShares(controller);
const redeemShares = 500n * 10n ** 6n * 10n ** 6n;
for (const [i, controller] of controllers.entries()) {
  const used = await send(() => s.pool.connect(controller).requestRedeem(redeemShares, controller, controller));
  if (i === 0) gas.lpRequestRedeem = used;
}
await round(ETH, 2_770n * WAD, s.lp.lpDelay);
await round(BTC, 60_020n * WAD);
gas.lpExecuteRedeems10 = await send(async () => s.pool.connect(await freshExecutor()).executeRedeems(BigInt(BATCH)));
if ((await s.pool.redeemQueue()).length !== 0) throw new Error("the redemptions were not all executed");

// ---------------------------------------------------------------- take profit
// Longs of 1 ETH on 1,000 USD at 2,770: capped at min(900 % of 1,000, 100 % of 2,770) = 2,770 USD, reached at 5,540.
const winners = await openAll(
  Array.from({ length: 1 + BATCH }, (_, i) => ({
    who: trader(i),
    marketId: ETH,
    isLong: true,
    size: WAD,
    collateral: 1_000n * USD,
  })),
);
await round(ETH, 5_600n * WAD, 600n);
const [winner, ...batchWinners] = winners;
if (winner === undefined) throw new Error("no winner");
if ((await s.lens.atCap(winners)).some((x) => !x)) throw new Error("benchmark positions are not at their cap");
{
  const snapshot = await connection.networkHelpers.takeSnapshot();
  const saved = clock;
  gas.takeProfitWarmKeeper = await send(() => s.engine.connect(keeper).takeProfit(winner));
  await snapshot.restore();
  clock = saved;
}
gas.takeProfit = await send(async () => s.engine.connect(await freshExecutor()).takeProfit(winner));
gas.takeProfitBatch10 = await send(async () => s.engine.connect(await freshExecutor()).takeProfitBatch(batchWinners));

// ---------------------------------------------------------------- report
const per = (total: bigint | undefined, n: number): bigint => (total ?? 0n) / BigInt(n);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const perSmall = per(gas.liquidateBatch10, BATCH);
const perLarge = per(gas.liquidateBatch50, BATCH_LARGE);
const perDeposit = per(gas.lpExecuteDeposits10, BATCH);
const perRedeem = per(gas.lpExecuteRedeems10, BATCH);
const measured = (key: string): bigint => gas[key] ?? failure(`${key} was not measured`);
function failure(message: string): never {
  throw new Error(message);
}
const figures: Record<Operation, bigint> = {
  requestOpenNewVault: measured("requestOpenNewVault"),
  requestOpenReusedVault: measured("requestOpenReusedVault"),
  executeOpen: per(measured("executeOpenBatch"), BATCH),
  requestIncrease: measured("requestIncrease"),
  requestDecrease: measured("requestDecrease"),
  requestClose: measured("requestClose"),
  executeIncrease: per(measured("executeIncreaseBatch"), BATCH),
  executeDecrease: per(measured("executeDecreaseBatch"), BATCH),
  executeClose: per(measured("executeCloseBatch"), BATCH),
  addMargin: measured("addMargin"),
  removeMargin: measured("removeMargin"),
  liquidate: measured("liquidate"),
  liquidateCrash: measured("liquidateCrash"),
  // The worse of the two batch sizes: a batch of 10 carries more fixed cost per position than one of 50.
  liquidateBatchPerPosition: max(perSmall, perLarge),
  liquidateBatchSkip: per(measured("liquidateBatchOf10Healthy") - measured("liquidateBatchEmpty"), BATCH),
  takeProfit: measured("takeProfit"),
  lpRequestDeposit: measured("lpRequestDeposit"),
  lpRequestRedeem: measured("lpRequestRedeem"),
  // The larger of the two: what a keeper should budget per request it executes.
  lpExecutePerRequest: max(perDeposit, perRedeem),
};

const rows: [string, bigint, bigint | undefined][] = [
  ["request open, new vault", figures.requestOpenNewVault, TARGETS.requestOpenNewVault],
  ["request open, reused vault", figures.requestOpenReusedVault, TARGETS.requestOpenReusedVault],
  ["execute open, per order (n = 10)", figures.executeOpen, TARGETS.executeOpen],
  ["request increase (with collateral)", figures.requestIncrease, TARGETS.requestIncrease],
  ["request decrease", figures.requestDecrease, TARGETS.requestDecrease],
  ["request close", figures.requestClose, TARGETS.requestClose],
  ["execute increase, per order (n = 10)", figures.executeIncrease, TARGETS.executeIncrease],
  ["execute decrease, per order (n = 10)", figures.executeDecrease, TARGETS.executeDecrease],
  ["execute close, per order (n = 10)", figures.executeClose, TARGETS.executeClose],
  ["add margin", figures.addMargin, TARGETS.addMargin],
  ["remove margin", figures.removeMargin, TARGETS.removeMargin],
  ["liquidate (owner refund > 0)", figures.liquidate, TARGETS.liquidate],
  ["  by a keeper already holding the asset", measured("liquidateWarmKeeper"), undefined],
  ["liquidate, first in a crash", figures.liquidateCrash, TARGETS.liquidateCrash],
  ["liquidateBatch, per position (n = 10)", perSmall, TARGETS.liquidateBatchPerPosition],
  ["liquidateBatch, per position (n = 50)", perLarge, TARGETS.liquidateBatchPerPosition],
  ["liquidateBatch, per skipped healthy position", figures.liquidateBatchSkip, TARGETS.liquidateBatchSkip],
  ["take profit (one position)", figures.takeProfit, TARGETS.takeProfit],
  ["  by a keeper already holding the asset", measured("takeProfitWarmKeeper"), undefined],
  ["takeProfitBatch, per position (n = 10)", per(measured("takeProfitBatch10"), BATCH), undefined],
  ["LP request deposit", figures.lpRequestDeposit, TARGETS.lpRequestDeposit],
  ["LP request redeem", figures.lpRequestRedeem, TARGETS.lpRequestRedeem],
  ["LP execute deposits, per request (n = 10)", perDeposit, TARGETS.lpExecutePerRequest],
  ["LP execute redeems, per request (n = 10)", perRedeem, TARGETS.lpExecutePerRequest],
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
const met = (Object.keys(TARGETS) as Operation[]).filter((op) => figures[op] <= TARGETS[op]).length;
console.log(`\n${met} of ${Object.keys(TARGETS).length} SPEC targets met.`);

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
        executors:
          "a fresh account (no asset yet) for every measured execution, liquidation, take-profit, LP execution",
        orders:
          "10 owners request (the first request measured); a round a slot after the last request; executeOrders(10) " +
          "a slot later, gas / 10. Opens: 1 ETH on 600 USD; increases: +0.5 ETH and +100 USD; decreases: 0.5 ETH",
        requestOpenNewVault: "no free vault: the request clones one",
        requestOpenReusedVault: "one free vault, emptied by a close",
        liquidatedShape: "1 ETH long on 310 USD opened at 3,000, liquidated at 2,750 (owner refund > 0)",
        liquidate: "previous round 1,200 s before the liquidating round, which lands a slot before the keeper",
        liquidateCrash: "first liquidation after ten rounds a minute apart (2,745 down to 2,700); batches follow",
        liquidateBatchPerPosition: "max of the per-position costs of batches of 10 and 50",
        liquidateBatchSkip: "(batch of 10 healthy − empty batch) / 10",
        healthyShape: "1 ETH long on 1,000 USD",
        takeProfit: "1 ETH long on 1,000 USD opened at 2,770 (cap 2,770 USD, bounded by notional), price 5,600",
        lp: "10 controllers who hold shares and the asset already; requests of 1,000 USD and 500 shares",
        lpExecutePerRequest: "max of executeDeposits(10 controllers) / 10 and executeRedeems(10) / 10",
      },
      targets: asNumbers(TARGETS),
      figures: asNumbers(figures),
      transactions: asNumbers(gas),
      perPosition: { liquidateBatchOf10: Number(perSmall), liquidateBatchOf50: Number(perLarge) },
      perLpRequest: { executeDeposits: Number(perDeposit), executeRedeems: Number(perRedeem) },
    },
    null,
    2,
  ) + "\n",
);
console.log(`wrote ${path.relative(process.cwd(), path.join(reports, "gas.json"))} and gas-detail.json`);
