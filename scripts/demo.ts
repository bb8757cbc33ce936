/**
 * `npm run demo`: the first thing to run. On the embedded chain it deploys Bulkhead with the same Ignition modules as
 * `npm run deploy`, brings in two LPs through the pool's asynchronous flow (request, wait `lpDelay`, execute, claim),
 * bounds BTC's profit caps by notional, funds traders and drives a price path with feed rounds. Every trade is a
 * two-step order: the trader requests it (what it brings is escrowed in the position's vault), the feed publishes its
 * next round, and a keeper executes every pending order in one batch at that round's answer.
 *
 * The keeper is the real one (keeper/): its core runs in this process over a viem client built on the embedded
 * chain's EIP-1193 provider, exactly as `npm run keeper` runs it over RPC URLs (state from the engine's and the pool's
 * events, one lens snapshot per market per block, candidates confirmed with the lens before it sends). After each
 * round the demo lets it make its passes and prints what its transactions did: LP requests executed, orders executed
 * (an order outside its owner's price bound cancelled), profit taken at the cap, liquidations. A freed vault is
 * reused, the survivors close, an LP redeems and claims, and the summary checks the invariants that make it a
 * bulkhead, orders and LP requests included.
 */
import { Writable } from "node:stream";

import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type {
  ContractTransactionReceipt,
  ContractTransactionResponse,
  EventLog,
  LogDescription,
  Result,
  TransactionReceipt,
} from "ethers";
import hre from "hardhat";
import { createPublicClient, custom, type EIP1193Provider } from "viem";
import { mnemonicToAccount } from "viem/accounts";

import {
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
import { keeperOptions } from "../keeper/src/config.js";
import { Keeper } from "../keeper/src/keeper.js";
import { createLogger } from "../keeper/src/log.js";
import { createMetrics } from "../keeper/src/metrics.js";
import { Store } from "../keeper/src/store.js";
import { parseDeployment } from "../sdk/src/deployment.js";

const USD = 10n ** 6n;
const WAD = 10n ** 18n;
/** No bound on the execution price (the engine keeps acceptable prices in 128 bits). */
const ANY_PRICE = 2n ** 128n - 1n;
/** `CancelReason` of IMarginEngine.sol, by number. */
const CANCEL_REASONS = [
  "no round before the deadline",
  "execution window missed",
  "feed phase changed",
  "bad price",
  "replaced by a close",
  "position closed",
  "grace period",
  "paused",
  "capacity",
  "price outside the owner's bound",
  "margin",
];
const KINDS = ["none", "open", "increase", "decrease", "close"];
/** Hardhat's default accounts (the embedded chain's signers) come from this public test mnemonic. */
const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";
/** The order in which a round's keeper transactions are told (they are sent concurrently). */
const JOBS = ["executeDeposits", "executeRedeems", "executeOrders", "takeProfitBatch", "liquidateBatch"];

const usd = (units: bigint): string => {
  const sign = units < 0n ? "-" : "";
  const abs = units < 0n ? -units : units;
  return `${sign}${(abs / USD).toLocaleString("en-US")}.${(abs % USD).toString().padStart(6, "0").slice(0, 2)}`;
};
const price = (wad: bigint): string => (wad / WAD).toLocaleString("en-US");
const size = (wad: bigint): string => (Number(wad) / 1e18).toString();
/** Pool shares have 6 more decimals than the asset. */
const shares = (units: bigint): string => (Number(units) / 1e12).toLocaleString("en-US", { maximumFractionDigits: 6 });

async function mined(tx: Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt> {
  const receipt = await (await tx).wait();
  if (receipt === null || receipt.status !== 1) throw new Error("transaction failed");
  return receipt;
}

/** The receipt's events of the given names, in log order. */
function eventsOf(receipt: ContractTransactionReceipt, ...names: string[]): EventLog[] {
  return receipt.logs.filter((l): l is EventLog => "fragment" in l && names.includes(l.fragment.name));
}

await runCommand(async () => {
  const connection = await hre.network.create();
  const { ethers, networkHelpers } = connection;
  try {
    console.log("Bulkhead demo — embedded chain\n");
    const { record } = await deployBulkhead(hre, connection, { log: () => undefined });
    const signers = await ethers.getSigners();
    const [deployer, lp1, lp2, alice, bob, carol, dave, erin, frank, keeper] = signers;
    if (deployer === undefined || lp1 === undefined || lp2 === undefined || keeper === undefined)
      throw new Error("the embedded chain has too few accounts");
    const at = record.contracts;
    const token = TestStablecoin__factory.connect(at.asset.address, deployer);
    const engine = MarginEngine__factory.connect(at.engine.address, deployer);
    const pool = LiquidityPool__factory.connect(at.pool.address, deployer);
    const insurance = InsuranceFund__factory.connect(at.insuranceFund.address, deployer);
    const config = RiskConfig__factory.connect(at.riskConfig.address, deployer);
    const feeds = record.markets.map((m) => MockV3Aggregator__factory.connect(m.feed.address, deployer));
    const marketName = (id: bigint | number): string => record.markets[Number(id)]?.name ?? "?";
    const deployBlock = record.deploymentBlock;
    console.log(`deployed ${Object.keys(at).length} contracts and ${record.markets.length} markets:`);
    for (const [name, entry] of Object.entries(at)) console.log(`  ${name.padEnd(20)} ${entry.address}`);
    const executionFee = BigInt(record.global.minExecutionFee);
    const maxExecutionDelay = BigInt(record.global.maxExecutionDelay);
    console.log(
      `orders execute at the first feed round after their request, within ${maxExecutionDelay} s of it; ` +
        `each pays its executor ${usd(executionFee)} tUSD`,
    );

    // ---------------------------------------------------------------- the keeper
    // The keeper's core in this process, over a viem client on the embedded chain's EIP-1193 provider, with the key
    // of the `keeper` signer (Hardhat's account #9); its state in an in-memory database.
    const keeperAccount = mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: 9 });
    if (keeperAccount.address !== keeper.address) throw new Error("the keeper signer is not Hardhat's account #9");
    const keeperStore = new Store(":memory:");
    // The demo tells what the keeper's transactions did; of its log it shows the margin calls (with the round they
    // follow) and any warning or error.
    const marginCalls: string[] = [];
    const keeperLog = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split("\n")) {
          if (line === "") continue;
          const entry = JSON.parse(line) as Record<string, unknown>;
          if (entry.msg === "margin call") {
            // One already liquidatable is told by its liquidation.
            if (entry.liquidatable === true) continue;
            const id = BigInt(entry.positionId as string);
            marginCalls.push(
              `  keeper: margin call for #${id} ${names.get(id) ?? "?"}, health ${(entry.health as number).toFixed(2)} ` +
                `(liquidatable below 1.00)`,
            );
          } else if (entry.level !== "info") process.stderr.write(`keeper: ${line}\n`);
        }
        done();
      },
    });
    const keeperCore = new Keeper({
      // No priority fee: nobody competes for this chain's blocks. At the default tip (1 gwei) a batch of 0.10 tUSD
      // execution fees would not pay for its gas at 3,000 USD per ETH, and the keeper would rightly wait.
      options: keeperOptions({ priorityFeeGwei: 0 }),
      deployment: parseDeployment(record),
      client: createPublicClient({ transport: custom(connection.provider as EIP1193Provider), cacheTime: 0 }),
      account: keeperAccount,
      store: keeperStore,
      metrics: createMetrics(),
      log: createLogger("info", keeperLog),
    });
    const names = new Map<bigint, string>();
    const marketOf = new Map<bigint, bigint>();
    const vaults = new Set<string>();
    /** Positions with an order waiting for its round. */
    const pending = new Set<bigint>();
    /** Open positions. */
    const open: { id: bigint; name: string; owner: string }[] = [];
    const summary = { executed: 0, cancelled: 0, liquidated: 0, taken: 0, closed: 0, reused: 0 };
    let keeperEarned = 0n;
    const drop = (id: bigint): void => {
      const i = open.findIndex((p) => p.id === id);
      if (i >= 0) open.splice(i, 1);
    };

    /** The events of a receipt that the engine and the pool emitted, decoded. */
    const decoded = (receipt: TransactionReceipt): LogDescription[] =>
      receipt.logs.flatMap((log) => {
        const address = log.address.toLowerCase();
        const iface =
          address === at.engine.address.toLowerCase()
            ? engine.interface
            : address === at.pool.address.toLowerCase()
              ? pool.interface
              : undefined;
        const event = iface?.parseLog(log);
        return event === null || event === undefined ? [] : [event];
      });

    /** What one of the keeper's transactions did. */
    const tell = (label: string, job: string, receipt: TransactionReceipt): void => {
      const events = decoded(receipt);
      const ids = [
        ...new Set(events.flatMap((e) => (e.args.positionId === undefined ? [] : [e.args.positionId as bigint]))),
      ];
      const list = ids.map((id) => `#${id}`).join(", ");
      if (job === "executeDeposits") console.log(`\n${label}: keeper executes the deposit requests`);
      else if (job === "executeRedeems") console.log(`\n${label}: keeper executes the redemption queue`);
      else if (job === "executeOrders") console.log(`\n${label}: keeper executes the pending orders of ${list}`);
      else if (job === "takeProfitBatch") console.log(`\n${label}: keeper takes profit on ${list} at the cap`);
      else console.log(`\n${label}: keeper liquidates ${list} (gas ${receipt.gasUsed})`);
      for (const event of events) {
        const a = event.args;
        const id = a.getValue("positionId") as bigint | undefined;
        const who = `#${id} ${(names.get(id ?? 0n) ?? "?").padEnd(6)}`;
        switch (event.name) {
          case "DepositExecuted":
            keeperEarned += a.getValue("fee") as bigint;
            console.log(
              `  executed ${usd(a.getValue("assets") as bigint)} tUSD for ${a.getValue("controller") as string}: ` +
                `${shares(a.getValue("shares") as bigint)} shares at ${(Number(a.getValue("price") as bigint) / 1e12).toFixed(6)} tUSD per share`,
            );
            break;
          case "RedeemExecuted":
            keeperEarned += a.getValue("fee") as bigint;
            console.log(
              `  executed ${shares(a.getValue("shares") as bigint)} shares of ${a.getValue("controller") as string}: ` +
                `${usd(a.getValue("assets") as bigint)} tUSD set aside, ${shares(a.getValue("remainingShares") as bigint)} left`,
            );
            break;
          case "OrderExecuted":
            summary.executed++;
            keeperEarned += a.getValue("executionFee") as bigint;
            break;
          case "OrderCancelled": {
            summary.cancelled++;
            const fee = a.getValue("executorFee") as bigint;
            keeperEarned += fee;
            console.log(
              `  ${who} ${KINDS[Number(a.getValue("kind"))]} cancelled (${CANCEL_REASONS[Number(a.getValue("reason"))]}): ` +
                `${usd(a.getValue("refund") as bigint)} refunded, the executor keeps ${usd(fee)}`,
            );
            break;
          }
          case "PositionOpened": {
            open.push({ id: id!, name: names.get(id!) ?? "?", owner: a.getValue("owner") as string });
            console.log(
              `  ${who} opened at ${price(a.getValue("price") as bigint)}: collateral ` +
                `${usd(a.getValue("collateral") as bigint)} after a ${usd(a.getValue("fee") as bigint)} opening fee, ` +
                `cap ${usd(a.getValue("maxProfit") as bigint)}`,
            );
            break;
          }
          case "PositionIncreased":
            console.log(
              `  ${who} increased by ${size(a.getValue("sizeDelta") as bigint)} at ${price(a.getValue("price") as bigint)}`,
            );
            break;
          case "PositionDecreased":
            console.log(
              `  ${who} decreased by ${size(a.getValue("sizeDelta") as bigint)} at ${price(a.getValue("price") as bigint)}: ` +
                `pnl ${usd(a.getValue("pnl") as bigint)}, fees ${usd(a.getValue("fees") as bigint)}, ` +
                `paid ${usd(a.getValue("payout") as bigint)}`,
            );
            break;
          case "PositionClosed":
            summary.closed++;
            drop(id!);
            console.log(
              `  ${who} closed at ${price(a.getValue("price") as bigint)}: pnl ${usd(a.getValue("pnl") as bigint)}, ` +
                `fees ${usd(a.getValue("fees") as bigint)}, paid ${usd(a.getValue("payout") as bigint)} ` +
                `(keeper reserve included)`,
            );
            break;
          case "ProfitTaken": {
            const reward = a.getValue("keeperReward") as bigint;
            keeperEarned += reward;
            summary.taken++;
            drop(id!);
            console.log(
              `  #${id} ${names.get(id!)}: profit ${usd(a.getValue("profit") as bigint)} (the cap), ` +
                `fees ${usd(a.getValue("fees") as bigint)}, owner ${usd(a.getValue("payout") as bigint)}, keeper ${usd(reward)}`,
            );
            break;
          }
          case "PositionLiquidated": {
            const reward = a.getValue("keeperReward") as bigint;
            keeperEarned += reward;
            summary.liquidated++;
            drop(id!);
            console.log(
              `  #${id} ${names.get(id!)}: closing fee ${usd(a.getValue("closeFee") as bigint)}, keeper ${usd(reward)}, ` +
                `insurance ${usd(a.getValue("penalty") as bigint)}, owner ${usd(a.getValue("ownerRefund") as bigint)}, ` +
                `bad debt ${usd(a.getValue("badDebt") as bigint)}`,
            );
            break;
          }
        }
      }
    };

    /**
     * The keeper's passes after a round: each reads the new blocks and acts; they go on while one sends something (an
     * executed open can be at its cap at once). Then what its transactions did, job by job.
     */
    const keeperActs = async (label: string): Promise<void> => {
      const from = await ethers.provider.getBlockNumber();
      for (let pass = 0; pass < 5; pass++) {
        const before = await ethers.provider.getBlockNumber();
        await keeperCore.tick();
        if ((await ethers.provider.getBlockNumber()) === before) break;
      }
      const to = await ethers.provider.getBlockNumber();
      const sent: { job: string; receipt: TransactionReceipt }[] = [];
      for (let b = from + 1; b <= to; b++) {
        const block = await ethers.provider.getBlock(b, true);
        for (const tx of block?.prefetchedTransactions ?? []) {
          if (tx.from !== keeper.address) continue;
          const call = engine.interface.parseTransaction(tx) ?? pool.interface.parseTransaction(tx);
          const receipt = await ethers.provider.getTransactionReceipt(tx.hash);
          if (call === null || receipt === null) continue;
          sent.push({ job: call.name, receipt });
        }
      }
      sent.sort((x, y) => JOBS.indexOf(x.job) - JOBS.indexOf(y.job));
      if (sent.length === 0) console.log(`\n${label}: nothing to do`);
      for (const { job, receipt } of sent) tell(label, job, receipt);
      for (const line of marginCalls.splice(0)) console.log(line);
      for (const id of [...pending]) {
        const [order, close] = await engine.orders(id);
        if (order.kind === 0n && close.kind === 0n) pending.delete(id);
      }
    };

    // ---------------------------------------------------------------- liquidity
    const minted = new Map<string, bigint>();
    const mint = async (who: HardhatEthersSigner, amount: bigint) => {
      await mined(token.mint(who.address, amount));
      minted.set(who.address, (minted.get(who.address) ?? 0n) + amount);
    };
    // Conservation is checked over everyone involved: the accounts below plus every Bulkhead contract and vault.
    const accounts = [deployer, lp1, lp2, alice, bob, carol, dave, erin, frank, keeper].map((s) => {
      if (s === undefined) throw new Error("the embedded chain has too few accounts");
      return s.address;
    });
    const balancesOf = async (addresses: Iterable<string>) => {
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
      await mint(who, amount);
      await mined(token.connect(who).approve(pool, amount));
      await mined(pool.connect(who).requestDeposit(amount, who.address, who.address));
    }
    const controllers = [deployer.address, lp1.address, lp2.address];
    let pendingDeposits = 0n;
    for (const c of controllers) pendingDeposits += await pool.pendingDepositRequest(0n, c);
    console.log(
      `\nLPs requested deposits: ${usd(pendingDeposits)} tUSD pending (the deployer's seed included), ` +
        `pool equity ${usd(await pool.equityAssets())} tUSD; executable after lpDelay = ${lp.lpDelay} s`,
    );
    await networkHelpers.time.increase(lp.lpDelay);
    await keeperActs(`lpDelay has passed`);
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

    // ---------------------------------------------------------------- orders
    const deadline = async (marketId: number): Promise<bigint> =>
      BigInt(await networkHelpers.time.latest()) + BigInt(record.markets[marketId]?.params.maxOrderWait ?? 60);
    const funded = async (who: HardhatEthersSigner, amount: bigint): Promise<void> => {
      await mint(who, amount);
      await mined(token.connect(who).approve(engine, amount));
    };
    const requestOpen = async (
      who: HardhatEthersSigner,
      name: string,
      marketId: number,
      isLong: boolean,
      positionSize: bigint,
      collateral: bigint,
    ): Promise<bigint> => {
      const reserve = BigInt(record.global.keeperReserve);
      await funded(who, collateral + reserve + executionFee);
      const free = await engine.freeVaultCount();
      const receipt = await mined(
        engine
          .connect(who)
          .requestOpen(
            marketId,
            isLong,
            positionSize,
            collateral,
            isLong ? ANY_PRICE : 0n,
            await deadline(marketId),
            executionFee,
          ),
      );
      const requested = eventsOf(receipt, "OrderRequested")[0];
      if (requested === undefined) throw new Error("no OrderRequested event");
      const id = requested.args.getValue("positionId") as bigint;
      const vault = await engine.vaultOf(id);
      const reused = vaults.has(vault);
      if (reused) summary.reused++;
      vaults.add(vault);
      names.set(id, name);
      marketOf.set(id, BigInt(marketId));
      pending.add(id);
      console.log(
        `  #${id} ${name.padEnd(6)} requests ${isLong ? "long " : "short"} ${size(positionSize)} ${marketName(marketId)} ` +
          `with ${usd(collateral)} collateral: ${usd(collateral + reserve + executionFee)} escrowed in ` +
          `${reused ? "reused" : "new"} vault ${vault} (${free > 0n ? `one of ${free} free` : "a fresh clone"})`,
      );
      return id;
    };
    const requestClose = async (id: bigint): Promise<void> => {
      const p = await engine.position(id);
      const who = await ethers.getSigner(p.owner);
      await funded(who, executionFee);
      await mined(
        engine
          .connect(who)
          .requestClose(id, p.isLong ? 0n : ANY_PRICE, await deadline(Number(p.marketId)), executionFee, p.owner),
      );
      pending.add(id);
    };
    /** A new round of the market's feed at `answer` (default: unchanged), one second after the latest block. */
    const publish = async (marketId: number, answer?: bigint): Promise<void> => {
      const feed = feeds[marketId];
      if (feed === undefined) throw new Error(`no market ${marketId}`);
      await networkHelpers.time.setNextBlockTimestamp((await networkHelpers.time.latest()) + 1);
      await mined(feed.updateAnswer(answer ?? (await feed.latestRoundData()).answer));
    };
    // ---------------------------------------------------------------- traders request, the next rounds execute
    console.log("\nTraders request positions (nothing trades until the next round):");
    const traders = [
      { who: alice, name: "alice", market: 0, isLong: true, size: 10n * WAD, collateral: 3_500n * USD },
      { who: bob, name: "bob", market: 0, isLong: true, size: 20n * WAD, collateral: 6_500n * USD },
      { who: carol, name: "carol", market: 0, isLong: false, size: 15n * WAD, collateral: 6_000n * USD },
      { who: dave, name: "dave", market: 1, isLong: true, size: 1n * WAD, collateral: 6_100n * USD },
      { who: erin, name: "erin", market: 1, isLong: false, size: WAD / 2n, collateral: 4_000n * USD },
    ];
    for (const t of traders) {
      if (t.who === undefined) throw new Error("missing trader account");
      await requestOpen(t.who, t.name, t.market, t.isLong, t.size, t.collateral);
    }
    await publish(0);
    await publish(1);
    await keeperActs("ETH-USD and BTC-USD publish their next rounds (prices unchanged)");

    // ---------------------------------------------------------------- price path
    const path: { market: number; to: bigint; before?: () => Promise<void> }[] = [
      {
        market: 0,
        to: 2_900n,
        // Carol takes half her short's profit off; the round executes it.
        before: async () => {
          const id = open.find((p) => p.name === "carol")?.id ?? 0n;
          await funded(carol!, executionFee);
          await mined(
            engine
              .connect(carol!)
              .requestDecrease(id, (15n * WAD) / 2n, ANY_PRICE, await deadline(0), executionFee, carol!.address),
          );
          pending.add(id);
          console.log(`\n  #${id} carol  requests a decrease of 7.5 ETH-USD`);
        },
      },
      {
        market: 1,
        to: 61_000n,
        // Dave adds size but accepts no more than 60,500: the round's answer decides, and it is above.
        before: async () => {
          const id = open.find((p) => p.name === "dave")?.id ?? 0n;
          await funded(dave!, 500n * USD + executionFee);
          await mined(
            engine
              .connect(dave!)
              .requestIncrease(id, WAD / 10n, 500n * USD, 60_500n * WAD, await deadline(1), executionFee),
          );
          pending.add(id);
          console.log(`\n  #${id} dave   requests an increase of 0.1 BTC-USD at 60,500 or better`);
        },
      },
      { market: 0, to: 2_780n },
      { market: 0, to: 2_700n },
      {
        market: 1,
        to: 64_500n,
        // Liquidated positions left empty vaults behind: the next position reuses one.
        before: async () => {
          console.log("");
          await requestOpen(frank!, "frank", 0, true, 2n * WAD, 1_000n * USD);
        },
      },
      { market: 1, to: 66_500n },
      { market: 0, to: 2_650n },
    ];
    for (const step of path) {
      await networkHelpers.time.increase(300);
      if (step.before !== undefined) await step.before();
      await publish(step.market, step.to * 10n ** 8n);
      // An order on the other market waits for that market's next round: here it comes, unchanged.
      const other = 1 - step.market;
      const waiting = [...pending].some((id) => marketOf.get(id) === BigInt(other));
      if (waiting) await publish(other);
      await keeperActs(
        `${marketName(step.market)} → ${price(step.to * WAD)}` +
          (waiting ? ` (and ${marketName(other)}'s next round, unchanged)` : ""),
      );
    }

    // ---------------------------------------------------------------- isolation, then the survivors close
    console.log("\nIsolation check on the survivors (vault balance = collateral + keeper reserve, no order pending):");
    let isolated = true;
    for (const p of open) {
      const position = await engine.position(p.id);
      const held = await token.balanceOf(position.vault);
      const ok = held === position.collateral + position.keeperReserve;
      isolated &&= ok;
      console.log(
        `  #${p.id} ${p.name.padEnd(6)} vault ${usd(held)} = ${usd(position.collateral)} + ` +
          `${usd(position.keeperReserve)} ${ok ? "✓" : "✗"}`,
      );
    }
    console.log("\nThe survivors request to close:");
    const survivors = [...open];
    const before = new Map<string, bigint>();
    for (const p of survivors) {
      before.set(p.owner, await token.balanceOf(p.owner));
      await requestClose(p.id);
      console.log(`  #${p.id} ${p.name}`);
    }
    await networkHelpers.time.increase(60);
    await publish(0);
    await publish(1);
    await keeperActs("the next rounds (prices unchanged)");

    // ---------------------------------------------------------------- an LP leaves
    // Redemptions are requests too: shares go to the pool, wait lpDelay, are executed in request order against the
    // free liquidity (in part if it runs short), and the LP claims the assets.
    const redeemShares = (await pool.balanceOf(lp2.address)) / 2n;
    await mined(pool.connect(lp2).requestRedeem(redeemShares, lp2.address, lp2.address));
    const queued = await pool.redeemQueue();
    await networkHelpers.time.increase(lp.lpDelay);
    // Executions wait for prices at least lpSettle old: publish fresh answers, then let them settle.
    for (const [i] of feeds.entries()) await publish(i);
    await networkHelpers.time.increase(lp.lpSettle);
    const [executionOpen, retryAt] = await pool.lpExecutionStatus();
    if (!executionOpen) await networkHelpers.time.increaseTo(retryAt);
    await keeperActs("lp2's redemption is due");
    keeperStore.close();
    const redeemable = await pool.maxWithdraw(lp2.address);
    await mined(pool.connect(lp2).redeem(await pool.maxRedeem(lp2.address), lp2.address, lp2.address));
    console.log(
      `\nlp2 redeems half its shares (queue: ${queued.length} request): executed, claimed ${usd(redeemable)} tUSD`,
    );

    // ---------------------------------------------------------------- what the logs say
    // A keeper keeps its state from the engine's events alone; the same logs prove every order traded at the first
    // round after its request, inside its window (invariant 8), and that every payout was delivered.
    const logs = (await ethers.provider.getLogs({ address: at.engine.address, fromBlock: deployBlock })).flatMap(
      (log) => {
        const event = engine.interface.parseLog(log);
        return event === null ? [] : [{ blockNumber: log.blockNumber, args: event.args, fragment: event.fragment }];
      },
    );
    const requests = new Map<bigint, { roundId: bigint; requestedAt: bigint; marketId: bigint }[]>();
    const blockTime = new Map<number, bigint>();
    const timeOf = async (block: number): Promise<bigint> => {
      const known = blockTime.get(block);
      if (known !== undefined) return known;
      const t = BigInt((await ethers.provider.getBlock(block))?.timestamp ?? 0);
      blockTime.set(block, t);
      return t;
    };
    let ordersChecked = 0;
    let nextRound = true;
    let claimsRecorded = 0;
    for (const log of logs) {
      const a = log.args;
      const name = log.fragment.name;
      if (name === "ClaimRecorded") claimsRecorded++;
      if (name === "OrderRequested") {
        const id = a.getValue("positionId") as bigint;
        const queue = requests.get(id) ?? [];
        queue.push({
          roundId: a.getValue("roundId") as bigint,
          requestedAt: await timeOf(log.blockNumber),
          marketId: a.getValue("marketId") as bigint,
        });
        requests.set(id, queue);
      } else if (name === "OrderCancelled" || name === "OrderExecuted") {
        const request = requests.get(a.getValue("positionId") as bigint)?.shift();
        if (request === undefined)
          throw new Error(`an order ended that was never requested (block ${log.blockNumber})`);
        if (name === "OrderCancelled") continue;
        const feed = feeds[Number(request.marketId)];
        if (feed === undefined) throw new Error("unknown market");
        const roundId = a.getValue("roundId") as bigint;
        const round = await feed.getRoundData(roundId);
        const previous = await feed.getRoundData(roundId - 1n);
        const executedAt = await timeOf(log.blockNumber);
        const first =
          roundId > request.roundId &&
          round.startedAt > request.requestedAt &&
          (roundId - 1n <= request.roundId || previous.startedAt <= request.requestedAt);
        nextRound &&=
          first &&
          round.answer * 10n ** 10n === (a.getValue("price") as bigint) &&
          executedAt <= round.updatedAt + maxExecutionDelay;
        ordersChecked++;
      }
    }

    // ---------------------------------------------------------------- summary and invariants
    const poolBalance = await token.balanceOf(pool);
    const insuranceBalance = await token.balanceOf(insurance);
    const sharePriceAfter = await pool.convertToAssets(10n ** 12n);
    console.log("\nSummary");
    console.log(
      `  positions requested ${names.size}: orders executed ${summary.executed}, cancelled ${summary.cancelled}; ` +
        `liquidated ${summary.liquidated}, closed at the cap ${summary.taken}, closed ${summary.closed}; ` +
        `vaults used ${vaults.size} (${summary.reused} reused)`,
    );
    for (const p of survivors) {
      const received = (await token.balanceOf(p.owner)) - (before.get(p.owner) ?? 0n);
      console.log(`  #${p.id} ${p.name.padEnd(6)} received ${usd(received)} tUSD on closing`);
    }
    console.log(
      `  keeper earned ${usd(keeperEarned)} tUSD (execution fees, keeper reserves, liquidation fees, LP execution fees)`,
    );
    console.log(
      `  pool ${usd(poolBalance)} tUSD (equity ${usd(await pool.equityAssets())}); ` +
        `insurance fund ${usd(insuranceBalance)} tUSD`,
    );
    const perShare = (assets: bigint) => (Number(assets) / 1e6).toFixed(6);
    console.log(`  LP share price ${perShare(sharePriceBefore)} → ${perShare(sharePriceAfter)} tUSD per share`);
    console.log(
      `  claims: ${claimsRecorded} recorded (a payout its recipient cannot receive waits in the engine for claim())`,
    );

    const systemAfter =
      (await balancesOf([at.pool.address, at.insuranceFund.address, at.engine.address])) +
      (await balancesOf(vaults)) +
      (await balancesOf(accounts));
    const totalMinted = [...minted.values()].reduce((x, y) => x + y, 0n);
    const conserved = systemAfter === systemBefore + totalMinted;
    const solvent = (await pool.equityAssets()) >= (await engine.totalReserved());
    const emptied =
      (await engine.totalEntryNotional()) === 0n &&
      (await engine.totalReserved()) === 0n &&
      (await balancesOf(vaults)) === 0n &&
      (await engine.freeVaultCount()) === BigInt(vaults.size);
    const delivered = claimsRecorded === 0 && (await token.balanceOf(engine)) === 0n;
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
    const tick = (ok: boolean): string => (ok ? "✓" : "✗");
    console.log("\nInvariants");
    console.log(`  isolation: every open vault held exactly its collateral and keeper reserve ${tick(isolated)}`);
    console.log(`  conservation: nothing created or lost, to the unit ${tick(conserved)}`);
    console.log(`  solvency: pool covers every reserved maximum profit ${tick(solvent)}`);
    console.log(
      `  orders: all ${ordersChecked} executed orders traded at the first round after their request, at its answer, ` +
        `within ${maxExecutionDelay} s of it ${tick(nextRound && ordersChecked === summary.executed)}`,
    );
    console.log(
      `  no position left, no phantom open interest or reservation; every vault empty and free ${tick(emptied)}`,
    );
    console.log(`  every payout delivered: no claim recorded, nothing held by the engine ${tick(delivered)}`);
    console.log(
      `  LP requests: pool tokens = equity + pending and claimable amounts; its shares = requests' shares ` +
        `${tick(requestsBacked)}`,
    );
    console.log(`  LP requests: nothing left pending or unclaimed ${tick(settled)}`);
    if (!(
      isolated &&
      conserved &&
      solvent &&
      nextRound &&
      ordersChecked === summary.executed &&
      emptied &&
      delivered &&
      requestsBacked &&
      settled
    ))
      throw new Error("an invariant did not hold");
  } finally {
    await connection.close();
  }
});
