/**
 * `npm run demo`: the first thing to run. On the embedded chain it deploys Bulkhead with the same Ignition modules as
 * `npm run deploy`, brings in two LPs through the pool's asynchronous flow (request, wait `lpDelay`, execute — the
 * demo executes its own requests, as a keeper would — and claim), bounds BTC's profit caps by notional, funds five
 * traders, drives a price path, lets a keeper liquidate what goes under and take profit on what reaches its cap
 * (confirming on-chain with the lens, then one batch transaction per price update), closes the survivors, lets an LP
 * redeem, and prints what happened — and checks the invariants that make it a bulkhead, LP requests included.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { ContractTransactionResponse, EventLog, Result } from "ethers";
import hre from "hardhat";

import {
  BulkheadLens__factory,
  InsuranceFund__factory,
  LiquidityPool__factory,
  MarginEngine__factory,
  MockV3Aggregator__factory,
  RiskConfig__factory,
  TestStablecoin__factory,
} from "../typechain-types/index.js";
import type { MarketParamsStruct } from "../typechain-types/contracts/RiskConfig.js";
import { runCommand } from "../deploy/lib/command.js";
import { deployBulkhead } from "../deploy/lib/deploy.js";

const USD = 10n ** 6n;
const WAD = 10n ** 18n;

const usd = (units: bigint): string => {
  const sign = units < 0n ? "-" : "";
  const abs = units < 0n ? -units : units;
  return `${sign}${(abs / USD).toLocaleString("en-US")}.${(abs % USD).toString().padStart(6, "0").slice(0, 2)}`;
};
const price = (wad: bigint): string => (wad / WAD).toLocaleString("en-US");
/** Pool shares have 6 more decimals than the asset. */
const shares = (units: bigint): string => (Number(units) / 1e12).toLocaleString("en-US", { maximumFractionDigits: 6 });

async function mined(tx: Promise<ContractTransactionResponse>) {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("transaction dropped");
  return receipt;
}

await runCommand(async () => {
  const connection = await hre.network.create();
  const { ethers, networkHelpers } = connection;
  try {
    console.log("Bulkhead demo — embedded chain\n");
    const { record } = await deployBulkhead(hre, connection, { log: () => undefined });
    const [deployer, lp1, lp2, alice, bob, carol, dave, erin, keeper] = await ethers.getSigners();
    if (keeper === undefined || deployer === undefined) throw new Error("the embedded chain has too few accounts");
    const at = record.contracts;
    const token = TestStablecoin__factory.connect(at.asset.address, deployer);
    const engine = MarginEngine__factory.connect(at.engine.address, deployer);
    const pool = LiquidityPool__factory.connect(at.pool.address, deployer);
    const insurance = InsuranceFund__factory.connect(at.insuranceFund.address, deployer);
    const lens = BulkheadLens__factory.connect(at.lens.address, deployer);
    const config = RiskConfig__factory.connect(at.riskConfig.address, deployer);
    const feeds = record.markets.map((m) => MockV3Aggregator__factory.connect(m.feed.address, deployer));
    console.log(`deployed ${Object.keys(at).length} contracts and ${record.markets.length} markets:`);
    for (const [name, entry] of Object.entries(at)) console.log(`  ${name.padEnd(20)} ${entry.address}`);

    // ---------------------------------------------------------------- liquidity and traders
    const minted = new Map<string, bigint>();
    const mint = async (who: HardhatEthersSigner, amount: bigint) => {
      await mined(token.mint(who.address, amount));
      minted.set(who.address, (minted.get(who.address) ?? 0n) + amount);
    };
    // Conservation is checked over everyone involved: the accounts below plus every Bulkhead contract and vault.
    const accounts = [deployer, lp1, lp2, alice, bob, carol, dave, erin, keeper].map((s) => {
      if (s === undefined) throw new Error("the embedded chain has too few accounts");
      return s.address;
    });
    const balancesOf = async (addresses: string[]) => {
      let total = 0n;
      for (const address of addresses) total += await token.balanceOf(address);
      return total;
    };
    const systemBefore =
      (await balancesOf([at.pool.address, at.insuranceFund.address, at.engine.address])) + (await balancesOf(accounts));
    // Deposits are requests: the assets wait in the pool (not yet equity) for lpDelay, then anyone executes them at
    // the worse for the depositor of the share price at request and at execution, and the LP claims the shares.
    const lp = await config.lpParams();
    for (const [who, amount] of [
      [lp1, 400_000n * USD],
      [lp2, 100_000n * USD],
    ] as const) {
      if (who === undefined) throw new Error("missing LP account");
      await mint(who, amount);
      await mined(token.connect(who).approve(pool, amount));
      await mined(pool.connect(who).requestDeposit(amount, who.address, who.address));
    }
    const controllers = [deployer.address, lp1!.address, lp2!.address];
    let pendingDeposits = 0n;
    for (const c of controllers) pendingDeposits += await pool.pendingDepositRequest(0n, c);
    console.log(
      `\nLPs requested deposits: ${usd(pendingDeposits)} tUSD pending (the deployer's seed included), ` +
        `pool equity ${usd(await pool.equityAssets())} tUSD; executable after lpDelay = ${lp.lpDelay} s`,
    );
    await networkHelpers.time.increase(lp.lpDelay);
    const executed = await mined(pool.connect(keeper).executeDeposits(controllers));
    for (const log of executed.logs) {
      if (!("fragment" in log) || log.fragment.name !== "DepositExecuted") continue;
      const a = log.args;
      console.log(
        `  executed ${usd(a.getValue("assets") as bigint)} tUSD for ${a.getValue("controller") as string}: ` +
          `${shares(a.getValue("shares") as bigint)} shares at ${(Number(a.getValue("price") as bigint) / 1e12).toFixed(6)} tUSD per share`,
      );
    }
    for (const c of controllers) {
      const claimable = await pool.maxDeposit(c);
      if (claimable === 0n) continue;
      await mined(pool.connect(await ethers.getSigner(c))["deposit(uint256,address)"](claimable, c));
    }
    const sharePriceBefore = await pool.convertToAssets(10n ** 12n);
    console.log(
      `LPs claimed their shares; pool equity ${usd(await pool.equityAssets())} tUSD, ` +
        `free liquidity ${usd(await pool.freeLiquidity())} tUSD`,
    );

    // Caps bounded by notional: on BTC, a position can win at most 5 % of its notional.
    const btc = await config.marketParams(1n);
    const btcParams = (btc as unknown as Result).toObject() as MarketParamsStruct;
    await mined(config.setMarketParams(1n, { ...btcParams, maxProfitNotionalRatio: WAD / 20n }));
    console.log("governance bounds BTC-USD profit caps at 5 % of notional (and 900 % of collateral, as before)");

    const trades = [
      { who: alice, name: "alice", market: 0, isLong: true, size: 10n * WAD, collateral: 3_500n * USD },
      { who: bob, name: "bob", market: 0, isLong: true, size: 20n * WAD, collateral: 6_500n * USD },
      { who: carol, name: "carol", market: 0, isLong: false, size: 15n * WAD, collateral: 6_000n * USD },
      { who: dave, name: "dave", market: 1, isLong: true, size: 1n * WAD, collateral: 6_100n * USD },
      { who: erin, name: "erin", market: 1, isLong: false, size: WAD / 2n, collateral: 4_000n * USD },
    ];
    const open: { id: bigint; name: string; owner: string; vault: string }[] = [];
    const names = new Map<bigint, string>();
    for (const t of trades) {
      if (t.who === undefined) throw new Error("missing trader account");
      await mint(t.who, t.collateral * 2n);
      await mined(token.connect(t.who).approve(engine, t.collateral * 2n));
      const deadline = BigInt(await networkHelpers.time.latest()) + 600n;
      const acceptable = t.isLong ? ethers.MaxUint256 : 0n;
      const receipt = await mined(
        engine.connect(t.who).open(t.market, t.isLong, t.size, t.collateral, acceptable, deadline),
      );
      const event = receipt.logs.find((l): l is EventLog => "fragment" in l && l.fragment.name === "PositionOpened");
      if (event === undefined) throw new Error("no PositionOpened event");
      const id = event.args.getValue("positionId") as bigint;
      const vault = event.args.getValue("vault") as string;
      open.push({ id, name: t.name, owner: t.who.address, vault });
      names.set(id, t.name);
      const market = record.markets[t.market]?.name ?? "?";
      const lev = (t.size * (await engine.indexPrice(t.market))) / WAD / (t.collateral * 10n ** 12n);
      const cap = (await engine.position(id)).maxProfit;
      console.log(
        `  #${id} ${t.name.padEnd(6)} ${t.isLong ? "long " : "short"} ${market} size ${Number(t.size) / 1e18}` +
          ` collateral ${usd(t.collateral)} (~${lev}x) cap ${usd(cap)} vault ${vault}`,
      );
    }

    // ---------------------------------------------------------------- price path and keeper
    const path: [number, bigint][] = [
      [0, 2_900n],
      [1, 61_000n],
      [0, 2_780n],
      [0, 2_700n],
      [1, 64_500n],
      [1, 66_500n],
      [0, 2_650n],
    ];
    const liquidations: string[] = [];
    const profitsTaken: string[] = [];
    let keeperEarned = 0n;
    for (const [market, usdPrice] of path) {
      await networkHelpers.time.increase(300);
      await mined(feeds[market]!.updateAnswer(usdPrice * 10n ** 8n));
      const label = `${record.markets[market]?.name ?? "?"} → ${price(usdPrice * WAD)}`;
      // Positions whose pnl reached their cap are closed at the cap by anyone (the keeper earns the reserve).
      const tracked = open.map((p) => p.id);
      const capped = await lens.atCap(tracked);
      const atCap = tracked.filter((_, i) => capped[i] === true);
      if (atCap.length > 0) {
        const receipt = await mined(engine.connect(keeper).takeProfitBatch(atCap));
        console.log(`\n${label}: keeper takes profit on ${atCap.map((id) => `#${id}`).join(", ")} at the cap`);
        for (const log of receipt.logs) {
          if (!("fragment" in log) || log.fragment.name !== "ProfitTaken") continue;
          const a = log.args;
          const id = a.getValue("positionId") as bigint;
          const reward = a.getValue("keeperReward") as bigint;
          keeperEarned += reward;
          const line =
            `#${id} ${names.get(id)}: profit ${usd(a.getValue("profit") as bigint)} (the cap), ` +
            `fees ${usd(a.getValue("fees") as bigint)}, owner ${usd(a.getValue("payout") as bigint)}, keeper ${usd(reward)}`;
          profitsTaken.push(line);
          console.log(`  ${line}`);
        }
        for (const id of atCap)
          open.splice(
            open.findIndex((p) => p.id === id),
            1,
          );
      }
      const ids = open.map((p) => p.id);
      // The keeper's confirmation: one call answers for every tracked position.
      const flags = await lens.liquidatable(ids);
      const due = ids.filter((_, i) => flags[i] === true);
      if (due.length === 0) {
        if (atCap.length === 0) console.log(`\n${label}: nothing to liquidate`);
        continue;
      }
      const receipt = await mined(engine.connect(keeper).liquidateBatch(due));
      console.log(`\n${label}: keeper liquidates ${due.map((id) => `#${id}`).join(", ")} (gas ${receipt.gasUsed})`);
      for (const log of receipt.logs) {
        if (!("fragment" in log) || log.fragment.name !== "PositionLiquidated") continue;
        const a = log.args;
        const id = a.getValue("positionId") as bigint;
        const reward = a.getValue("keeperReward") as bigint;
        keeperEarned += reward;
        const line =
          `#${id} ${names.get(id)}: closing fee ${usd(a.getValue("closeFee") as bigint)}, keeper ${usd(reward)}, ` +
          `insurance ${usd(a.getValue("penalty") as bigint)}, ` +
          `owner ${usd(a.getValue("ownerRefund") as bigint)}, bad debt ${usd(a.getValue("badDebt") as bigint)}`;
        liquidations.push(line);
        console.log(`  ${line}`);
      }
      for (const id of due)
        open.splice(
          open.findIndex((p) => p.id === id),
          1,
        );
    }

    // ---------------------------------------------------------------- isolation, then the survivors close
    console.log("\nIsolation check on the survivors (vault balance = collateral + keeper reserve):");
    const reserve = BigInt(record.global.keeperReserve);
    let isolated = true;
    for (const p of open) {
      const position = await engine.position(p.id);
      const held = await token.balanceOf(p.vault);
      const ok = held === position.collateral + reserve;
      isolated &&= ok;
      console.log(
        `  #${p.id} ${p.name.padEnd(6)} vault ${usd(held)} = ${usd(position.collateral)} + ${usd(reserve)} ${ok ? "✓" : "✗"}`,
      );
    }
    console.log("\nThe survivors close:");
    for (const p of [...open]) {
      const signer = await ethers.getSigner(p.owner);
      const before = await token.balanceOf(p.owner);
      const deadline = BigInt(await networkHelpers.time.latest()) + 600n;
      const position = await engine.position(p.id);
      await mined(engine.connect(signer).close(p.id, position.isLong ? 0n : ethers.MaxUint256, deadline));
      const received = (await token.balanceOf(p.owner)) - before;
      console.log(`  #${p.id} ${p.name.padEnd(6)} received ${usd(received)} tUSD`);
    }

    // ---------------------------------------------------------------- an LP leaves
    // Redemptions are requests too: shares go to the pool, wait lpDelay, are executed in request order against the
    // free liquidity (in part if it runs short), and the LP claims the assets.
    const redeemShares = (await pool.balanceOf(lp2!.address)) / 2n;
    await mined(pool.connect(lp2!).requestRedeem(redeemShares, lp2!.address, lp2!.address));
    const queued = await pool.redeemQueue();
    await networkHelpers.time.increase(lp.lpDelay);
    // Executions wait for prices at least lpSettle old: publish fresh answers, then let them settle.
    for (const feed of feeds) await mined(feed.updateAnswer((await feed.latestRoundData()).answer));
    await networkHelpers.time.increase(lp.lpSettle);
    const [executionOpen, retryAt] = await pool.lpExecutionStatus();
    if (!executionOpen) await networkHelpers.time.increaseTo(retryAt);
    await mined(pool.connect(keeper).executeRedeems(10n));
    const redeemable = await pool.maxWithdraw(lp2!.address);
    await mined(pool.connect(lp2!).redeem(await pool.maxRedeem(lp2!.address), lp2!.address, lp2!.address));
    console.log(
      `\nlp2 redeems half its shares (queue: ${queued.length} request): executed, claimed ${usd(redeemable)} tUSD`,
    );

    // ---------------------------------------------------------------- summary and invariants
    const poolBalance = await token.balanceOf(pool);
    const insuranceBalance = await token.balanceOf(insurance);
    const sharePriceAfter = await pool.convertToAssets(10n ** 12n);
    console.log("\nSummary");
    console.log(
      `  positions opened ${trades.length}, liquidated ${liquidations.length}, ` +
        `closed at the cap ${profitsTaken.length}, closed ${open.length}`,
    );
    console.log(`  keeper earned ${usd(keeperEarned)} tUSD`);
    console.log(
      `  pool ${usd(poolBalance)} tUSD (equity ${usd(await pool.equityAssets())}); ` +
        `insurance fund ${usd(insuranceBalance)} tUSD`,
    );
    const perShare = (assets: bigint) => (Number(assets) / 1e6).toFixed(6);
    console.log(`  LP share price ${perShare(sharePriceBefore)} → ${perShare(sharePriceAfter)} tUSD per share`);

    const vaults =
      trades.length === 0
        ? []
        : await Promise.all(Array.from({ length: trades.length }, (_, i) => engine.vaultOf(BigInt(i + 1))));
    const systemAfter =
      (await balancesOf([at.pool.address, at.insuranceFund.address, at.engine.address])) +
      (await balancesOf(vaults)) +
      (await balancesOf(accounts));
    const totalMinted = [...minted.values()].reduce((a, b) => a + b, 0n);
    const conserved = systemAfter === systemBefore + totalMinted;
    const solvent = (await pool.equityAssets()) >= (await engine.totalReserved());
    const emptied = (await engine.totalEntryNotional()) === 0n && (await engine.totalReserved()) === 0n;
    // LP requests: the pool's tokens are its equity plus what belongs to requests (pending deposits, executed
    // redemptions and cancelled deposits not yet claimed); its own shares are exactly those of requests.
    let owedAssets = 0n;
    let escrowedShares = 0n;
    let unclaimed = 0n;
    for (const c of controllers) {
      const pendingAssets = await pool.pendingDepositRequest(0n, c);
      const claimableAssets = await pool.maxWithdraw(c);
      owedAssets += pendingAssets + claimableAssets + (await pool.claimableCancelDepositRequest(0n, c));
      escrowedShares +=
        (await pool.pendingRedeemRequest(0n, c)) +
        (await pool.maxMint(c)) +
        (await pool.claimableCancelRedeemRequest(0n, c));
      unclaimed += pendingAssets + claimableAssets + (await pool.maxMint(c));
    }
    const requestsBacked =
      poolBalance === (await pool.equityAssets()) + owedAssets && (await pool.balanceOf(pool)) === escrowedShares;
    const settled = unclaimed === 0n;
    console.log("\nInvariants");
    console.log(`  isolation: every open vault held exactly its collateral and keeper reserve ${isolated ? "✓" : "✗"}`);
    console.log(`  conservation: nothing created or lost, to the unit ${conserved ? "✓" : "✗"}`);
    console.log(`  solvency: pool covers every reserved maximum profit ${solvent ? "✓" : "✗"}`);
    console.log(`  no position left, no phantom open interest or reservation ${emptied ? "✓" : "✗"}`);
    console.log(
      `  LP requests: pool tokens = equity + pending and claimable amounts; its shares = requests' shares ` +
        `${requestsBacked ? "✓" : "✗"}`,
    );
    console.log(`  LP requests: nothing left pending or unclaimed ${settled ? "✓" : "✗"}`);
    if (!(isolated && conserved && solvent && emptied && requestsBacked && settled))
      throw new Error("an invariant did not hold");
  } finally {
    await connection.close();
  }
});
