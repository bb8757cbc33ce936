/**
 * The SDK in viem's idiom: every error is a viem `BaseError` (cause chain and `walk` included); the actions extend
 * public and wallet clients (`client.extend(bulkheadActions(…))`); every write has a `simulate…` variant whose
 * `request` viem's `writeContract` sends as is; opens return the new position's id; the test stablecoin and the mock
 * feed come only from the mocks entry points.
 */
import { expect } from "chai";
import { BaseError, createPublicClient, createWalletClient, custom, type Address, type EIP1193Provider } from "viem";
import { writeContract } from "viem/actions";
import { mainnet } from "viem/chains";

import * as sdk from "../../../sdk/src/index.js";
import {
  AccountRequiredError,
  bulkheadActions,
  bulkheadErrorClasses,
  bulkheadPublicActions,
  bulkheadWalletActions,
  BulkheadError,
  ChainMismatchError,
  CollateralBelowMinimumError,
  ContractPanicError,
  ContractRevertStringError,
  decodeBulkheadError,
  eventsNamed,
  InvalidDeploymentError,
  marginEngineAbi,
  NotLiquidatableError,
  NothingToClaimError,
  OrderCancelledError,
  OrderNotPendingError,
  OrderRequestedEventNotFoundError,
  PermitNotSupportedError,
  PositionMathError,
  PositionNotFoundError,
  PositionPendingError,
  requestOpenAndWait,
  settlementTokenAbi,
  simulateAddMargin,
  simulateRequestOpen,
  TransactionRevertedError,
  UnknownEnumValueError,
  UnknownRevertError,
  waitForOrder,
  waitForOrderRequested,
  WaitForOrderTimeoutError,
  WalletClientRequiredError,
  type BulkheadAddresses,
} from "../../../sdk/src/index.js";
import * as mocks from "../../../sdk/src/mocks.js";
import * as mocksEthers from "../../../sdk/src/mocks-ethers.js";
import * as ethersEntry from "../../../sdk/src/ethers.js";
import {
  deployBulkhead,
  ETH,
  ETH_PRICE,
  fund,
  now,
  openPosition,
  publishRound,
  setPrice,
  USD,
  WAD,
  type Bulkhead,
} from "../fixture.js";
import { sdkConnection } from "./connection.js";
import { addressesOf, untilOrderRequested } from "./utils.js";

const { networkHelpers, provider } = sdkConnection;
const transport = custom(provider as unknown as EIP1193Provider);

describe("SDK in viem's idiom", function () {
  describe("errors are viem errors", function () {
    const data = "0x4e487b710000000000000000000000000000000000000000000000000000000000000011" as const;

    it("every generated contract-error class is a BulkheadError and a viem BaseError", function () {
      for (const [name, ErrorClass] of Object.entries(bulkheadErrorClasses)) {
        expect(ErrorClass.prototype, name).to.be.instanceOf(BulkheadError).and.instanceOf(BaseError);
      }
    });

    it("every SDK error class is a BulkheadError and a viem BaseError, with shortMessage, details and version", function () {
      const cause = new Error("socket hang up");
      const errors: BulkheadError[] = [
        new InvalidDeploymentError("no engine", { cause }),
        new AccountRequiredError("requestOpen"),
        new PermitNotSupportedError("0x0000000000000000000000000000000000000001"),
        new PositionNotFoundError(7n),
        new TransactionRevertedError("0x01"),
        new PositionMathError("overflow", "a × b"),
        new ChainMismatchError(1, 31337),
        new WalletClientRequiredError("requestClose"),
        new OrderRequestedEventNotFoundError("0x02"),
        new PositionPendingError(8n),
        new OrderCancelledError({ positionId: 9n, kind: "Open", reason: "Margin", refund: 1n, executorFee: 2n }),
        new OrderNotPendingError(10n, "Close"),
        new WaitForOrderTimeoutError(11n, 1_000),
        new UnknownEnumValueError("OrderKind", 9),
        new ContractPanicError({ code: 0x11n, data }),
        new ContractRevertStringError({ reason: "nope", data: "0x08c379a0" }),
        new UnknownRevertError({ data: "0x12345678" }),
      ];
      for (const error of errors) {
        expect(error, error.name).to.be.instanceOf(BaseError).and.instanceOf(BulkheadError).and.instanceOf(Error);
        expect(error.shortMessage, error.name).to.be.a("string").and.not.equal("");
        expect(error.message.startsWith(error.shortMessage), error.name).to.equal(true);
        expect(error.version).to.equal(`@bulkhead/sdk@${sdk.version}`);
        expect(error.message).to.contain(`Version: @bulkhead/sdk@${sdk.version}`);
        expect(error.name).to.equal(error.constructor.name);
      }
      expect(errors[0]!.details).to.equal("socket hang up");
      expect(errors[0]!.cause).to.equal(cause);
      expect(errors[5]!.details).to.equal("a × b");
      expect(errors[10]!.shortMessage).to.equal("The Open order of position 9 was cancelled: Margin.");
    });

    it("walk follows the cause chain through viem's errors to the root", async function () {
      const s = await networkHelpers.loadFixture(deployBulkhead);
      const addresses = await addressesOf(s);
      const client = createPublicClient({ transport });
      let thrown: unknown;
      try {
        await simulateAddMargin(client, {
          addresses,
          positionId: 1n,
          amount: 10n * USD,
          account: s.actors.alice.address as Address,
        });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).to.be.instanceOf(BaseError).and.instanceOf(BulkheadError);
      const typed = thrown as BulkheadError;
      // The decoded error wraps viem's ContractFunctionExecutionError, which wraps the node's error.
      expect(typed.cause).to.be.instanceOf(BaseError);
      expect(
        typed.walk((error) => error instanceof BaseError && error.name === "ContractFunctionExecutionError"),
      ).to.not.equal(null);
      const root = typed.walk();
      expect(root).to.not.equal(typed);
      expect((root as { cause?: unknown }).cause).to.equal(undefined);
      expect(typed.walk(() => false)).to.equal(null);
      // Decoding viem's own error again finds the same typed error.
      expect(decodeBulkheadError(typed.cause)?.constructor).to.equal(typed.constructor);
    });
  });

  describe("client.extend and simulate…", function () {
    let s: Bulkhead;
    let addresses: BulkheadAddresses;
    let alice: Address;

    beforeEach(async function () {
      s = await networkHelpers.loadFixture(deployBulkhead);
      addresses = await addressesOf(s);
      alice = s.actors.alice.address as Address;
      await fund(s, s.actors.alice, 100_000n * USD);
    });

    const publicClient = () => createPublicClient({ transport, pollingInterval: 20 });
    const walletClient = (account: Address) => createWalletClient({ transport, account, pollingInterval: 20 });

    it("extends a public client (reads, simulations) and a wallet client (writes), with addresses or a deployment", async function () {
      const reader = publicClient().extend(bulkheadPublicActions({ addresses }));
      const writer = walletClient(alice).extend(bulkheadWalletActions({ addresses }));
      const both = walletClient(alice).extend(bulkheadActions({ deployment: { chainId: 31337, addresses } as never }));
      // Step one through the wallet client, step two through anyone's: the feed's next round, then an execution.
      const requested = await reader.waitForOrderRequested({
        hash: await writer.requestOpen({ marketId: ETH, isLong: true, size: WAD, collateral: 600n * USD }),
      });
      const positionId = requested.positionId;
      expect((await reader.getOrderStatus({ positionId })).status).to.equal("Waiting");
      await publishRound(s, ETH);
      const keeperWriter = walletClient(s.actors.keeper.address as Address).extend(
        bulkheadWalletActions({ addresses }),
      );
      await reader.waitForBulkheadReceipt({ hash: await keeperWriter.executeOrder({ positionId }) });
      const outcome = await reader.waitForOrder({ hash: requested.receipt.transactionHash });
      if (outcome.status !== "executed") throw new Error("the open should have executed");
      const event = eventsNamed(outcome.events, "PositionOpened")[0]!.args;
      expect(event.owner).to.equal(alice);
      expect((await reader.getPosition({ positionId }))?.size).to.equal(WAD);
      expect((await both.getPositionSummary({ positionId })).equity).to.equal(await s.lens.equity(positionId));
      expect((await reader.getMarket({ marketId: ETH })).price).to.equal(ETH_PRICE);
      const { receipt } = await both.waitForBulkheadReceipt({
        hash: await both.addMargin({ positionId, amount: 5n * USD }),
      });
      expect(receipt.status).to.equal("success");
      // A public client simulates for any account; the wallet client sends the request.
      const { request } = await reader.simulateRemoveMargin({ account: alice, positionId, amount: 5n * USD });
      const removed = await reader.waitForBulkheadReceipt({ hash: await writer.writeContract(request) });
      expect(eventsNamed(removed.events, "MarginRemoved")[0]!.args.amount).to.equal(5n * USD);
      // The viem client's own actions are untouched.
      expect(await reader.getChainId()).to.equal(31337);
      // Writes without an account say so, as typed errors.
      const noAccount = createWalletClient({ transport }).extend(bulkheadActions({ addresses }));
      await expectRejection(noAccount.requestClose({ positionId }), AccountRequiredError);
      expect(() => bulkheadActions({ addresses: undefined as never })).to.throw(InvalidDeploymentError);
      // A deployment is for one chain: a client on another is refused as it is extended.
      const mainnetClient = createPublicClient({ transport, chain: mainnet });
      expect(() =>
        mainnetClient.extend(bulkheadActions({ deployment: { chainId: 31337, addresses } as never })),
      ).to.throw(ChainMismatchError);
      // A client with a chain: the request carries it, and the wallet client sends it.
      const local = { ...mainnet, id: 31337 };
      const chained = createWalletClient({ transport, chain: local, account: alice }).extend(
        bulkheadActions({ deployment: { chainId: 31337, addresses } as never }),
      );
      const simulated = await chained.simulateRemoveMargin({ positionId, amount: USD });
      expect(simulated.request.chain?.id).to.equal(31337);
      await chained.waitForBulkheadReceipt({ hash: await chained.writeContract(simulated.request) });
    });

    it("every simulate… variant returns the result and a request that viem's writeContract sends", async function () {
      const client = publicClient().extend(bulkheadPublicActions({ addresses }));
      const wallet = walletClient(alice);
      const send = async (request: Parameters<typeof writeContract>[1]): Promise<sdk.PositionEvent[]> =>
        (await client.waitForBulkheadReceipt({ hash: await writeContract(wallet, request) })).events;

      const keeper = s.actors.keeper.address as Address;
      const keeperWallet = walletClient(keeper);
      const sendAs = async (
        who: typeof wallet,
        request: Parameters<typeof writeContract>[1],
      ): Promise<sdk.PositionEvent[]> =>
        (await client.waitForBulkheadReceipt({ hash: await writeContract(who, request) })).events;
      /** The feed's next round, then the keeper executes through `simulateExecuteOrder`'s request. */
      const execute = async (positionId: bigint): Promise<sdk.PositionEvent[]> => {
        await publishRound(s, ETH);
        const executed = await client.simulateExecuteOrder({ account: keeper, positionId });
        expect(executed.request.functionName).to.equal("executeOrder");
        const events = await sendAs(keeperWallet, executed.request);
        expect(eventsNamed(events, "OrderExecuted").map((e) => e.args.positionId)).to.deep.equal([positionId]);
        return events;
      };

      const opened = await client.simulateRequestOpen({
        account: alice,
        marketId: ETH,
        isLong: true,
        size: 2n * WAD,
        collateral: 1_000n * USD,
      });
      expect(opened.request.functionName).to.equal("requestOpen");
      expect(opened.request.abi).to.equal(marginEngineAbi);
      expect(opened.request.account.address).to.equal(alice);
      const requestEvents = await send(opened.request);
      const positionId = eventsNamed(requestEvents, "OrderRequested")[0]!.args.positionId;
      // The simulated result is the id the request then got.
      expect(opened.result).to.equal(positionId);
      expect(eventsNamed(await execute(positionId), "PositionOpened")[0]!.args.size).to.equal(2n * WAD);

      const increased = await client.simulateRequestIncrease({
        account: alice,
        positionId,
        sizeDelta: WAD,
        collateralDelta: 100n * USD,
      });
      await send(increased.request);
      expect(eventsNamed(await execute(positionId), "PositionIncreased")[0]!.args.newSize).to.equal(3n * WAD);
      const decreased = await client.simulateRequestDecrease({ account: alice, positionId, sizeDelta: WAD });
      await send(decreased.request);
      expect(eventsNamed(await execute(positionId), "PositionDecreased")[0]!.args.newSize).to.equal(2n * WAD);
      const added = await client.simulateAddMargin({ account: alice, positionId, amount: 10n * USD });
      expect(eventsNamed(await send(added.request), "MarginAdded")).to.have.length(1);
      const removed = await client.simulateRemoveMargin({ account: alice, positionId, amount: 10n * USD });
      expect(eventsNamed(await send(removed.request), "MarginRemoved")[0]!.args.receiver).to.equal(alice);
      const closed = await client.simulateRequestClose({ account: alice, positionId });
      await send(closed.request);
      expect(eventsNamed(await execute(positionId), "PositionClosed")[0]!.args.positionId).to.equal(positionId);

      // An order nobody executed before its deadline: anyone cancels it, with a full refund to the owner.
      const late = await client.simulateRequestOpen({
        account: alice,
        marketId: ETH,
        isLong: false,
        size: WAD,
        collateral: 500n * USD,
        deadline: (await now(s)) + 30n,
      });
      await send(late.request);
      await networkHelpers.time.increase(60n);
      expect((await client.getOrderStatus({ positionId: late.result })).status).to.equal("Cancellable");
      const cancelled = await client.simulateCancelOrder({ account: keeper, positionId: late.result });
      const cancelEvents = await sendAs(keeperWallet, cancelled.request);
      expect(eventsNamed(cancelEvents, "OrderCancelled")[0]!.args).to.deep.include({
        positionId: late.result,
        reason: sdk.CANCEL_REASONS.indexOf("Expired"),
        refund: 500n * USD + s.global.keeperReserve + s.global.minExecutionFee,
        executorFee: 0n,
      });

      // Keepers: one liquidation and a batch; a batch of executions.
      const ids: bigint[] = [];
      for (let i = 0; i < 2; i++) {
        const { request, result } = await client.simulateRequestOpen({
          account: alice,
          marketId: ETH,
          isLong: true,
          size: 10n * WAD,
          collateral: 3_050n * USD,
        });
        await send(request);
        ids.push(result);
      }
      await publishRound(s, ETH);
      const batchExecution = await client.simulateExecuteOrders({ account: keeper, positionIds: [...ids, 999n] });
      expect(batchExecution.result).to.equal(2n);
      await sendAs(keeperWallet, batchExecution.request);
      await setPrice(s, ETH, (ETH_PRICE * 94n) / 100n);
      const single = await client.simulateLiquidate({ account: keeper, positionId: ids[0]! });
      await client.waitForBulkheadReceipt({ hash: await keeperWallet.writeContract(single.request) });
      const batch = await client.simulateLiquidateBatch({ account: keeper, positionIds: [ids[1]!, 999n] });
      const liquidated = await client.waitForBulkheadReceipt({ hash: await keeperWallet.writeContract(batch.request) });
      expect(eventsNamed(liquidated.events, "PositionLiquidated").map((e) => e.args.positionId)).to.deep.equal([
        ids[1],
      ]);
      // A position that is not liquidatable: the simulation throws the typed error, nothing is sent.
      await setPrice(s, ETH, ETH_PRICE);
      const healthy = await openPosition(s, s.actors.alice, ETH, false, WAD, 1_000n * USD);
      await expectRejection(client.simulateLiquidate({ account: keeper, positionId: healthy }), NotLiquidatableError);
      await expectRejection(
        client.simulateRemoveMargin({ account: alice, positionId: healthy, amount: 995n * USD }),
        CollateralBelowMinimumError,
      );
      // claim: nothing waits for this position, a typed revert from the simulation.
      await expectRejection(client.simulateClaim({ account: alice, positionId: healthy }), NothingToClaimError);

      // LPs: request, execute (anyone), claim by assets; redeem by request, claim by assets then shares.
      const lp = s.actors.bob.address as Address;
      await s.usd.mint(lp, 1_000n * USD);
      await s.usd.connect(s.actors.bob).approve(addresses.liquidityPool, 1_000n * USD);
      const lpWallet = walletClient(lp);
      const requested = await client.simulateRequestDeposit({ account: lp, assets: 1_000n * USD });
      expect(requested.result).to.equal(0n);
      await client.waitForBulkheadReceipt({ hash: await lpWallet.writeContract(requested.request) });
      const { lpDelay } = await s.config.lpParams();
      await s.connection.networkHelpers.time.increase(lpDelay);
      const executed = await client.simulateExecuteDeposits({ account: lp, controllers: [lp] });
      expect(executed.result).to.equal(1n);
      await client.waitForBulkheadReceipt({ hash: await lpWallet.writeContract(executed.request) });
      const { executionFee } = await s.config.lpParams();
      const claimed = await client.simulateClaimDeposit({ account: lp, assets: 1_000n * USD - executionFee });
      await client.waitForBulkheadReceipt({ hash: await lpWallet.writeContract(claimed.request) });
      expect(await s.pool.balanceOf(lp)).to.equal(claimed.result);
      const redeem = await client.simulateRequestRedeem({ account: lp, shares: claimed.result });
      await client.waitForBulkheadReceipt({ hash: await lpWallet.writeContract(redeem.request) });
      await s.connection.networkHelpers.time.increase(lpDelay);
      const executeRedeems = await client.simulateExecuteRedeems({ account: lp, maxRequests: 10n });
      await client.waitForBulkheadReceipt({ hash: await lpWallet.writeContract(executeRedeems.request) });
      const withdrawn = await client.simulateClaimRedeem({ account: lp, assets: 400n * USD });
      await client.waitForBulkheadReceipt({ hash: await lpWallet.writeContract(withdrawn.request) });
      const rest = await client.simulateClaimRedeem({ account: lp, shares: await s.pool.maxRedeem(lp) });
      await client.waitForBulkheadReceipt({ hash: await lpWallet.writeContract(rest.request) });
      // Less a unit at most: the pool rounds against the LP.
      expect(await s.usd.balanceOf(lp)).to.be.within(1_000n * USD - 1n, 1_000n * USD);
      expect(await s.pool.balanceOf(lp)).to.equal(0n);
    });

    it("cancels and claims back LP requests, acts as an operator, and takes profit at the cap through simulate…", async function () {
      const client = publicClient().extend(bulkheadPublicActions({ addresses }));
      const bob = s.actors.bob.address as Address;
      const carol = s.actors.carol.address as Address;
      const bobWallet = walletClient(bob);
      const carolWallet = walletClient(carol);
      await s.usd.mint(bob, 1_000n * USD);
      await s.usd.connect(s.actors.bob).approve(addresses.liquidityPool, 1_000n * USD);

      // Bob makes Carol his operator: she requests for him, cancels inside the delay and claims back to him.
      const operator = await client.simulateSetOperator({ account: bob, operator: carol, approved: true });
      expect(operator.result).to.equal(true);
      await client.waitForBulkheadReceipt({ hash: await bobWallet.writeContract(operator.request) });
      const requested = await client.simulateRequestDeposit({
        account: carol,
        assets: 1_000n * USD,
        controller: bob,
        owner: bob,
      });
      await client.waitForBulkheadReceipt({ hash: await carolWallet.writeContract(requested.request) });
      expect((await client.getLpRequests({ controller: bob })).deposit.pending).to.equal(1_000n * USD);
      const cancelled = await client.simulateCancelDepositRequest({ account: carol, controller: bob });
      await client.waitForBulkheadReceipt({ hash: await carolWallet.writeContract(cancelled.request) });
      const requests = await client.getLpRequests({ controller: bob });
      expect(requests.deposit.pending).to.equal(0n);
      expect(requests.deposit.cancelledAssets).to.equal(1_000n * USD);
      const claimed = await client.simulateClaimCancelDepositRequest({
        account: carol,
        controller: bob,
        receiver: bob,
      });
      expect(claimed.result).to.equal(1_000n * USD);
      await client.waitForBulkheadReceipt({ hash: await carolWallet.writeContract(claimed.request) });
      expect(await s.usd.balanceOf(bob)).to.equal(1_000n * USD);

      // The seed LP asks to redeem, cancels, and gets the shares back.
      const lp = s.actors.lp.address as Address;
      const lpWallet = walletClient(lp);
      const shares = (await s.pool.balanceOf(lp)) / 2n;
      const redeem = await client.simulateRequestRedeem({ account: lp, shares });
      await client.waitForBulkheadReceipt({ hash: await lpWallet.writeContract(redeem.request) });
      const cancelRedeem = await client.simulateCancelRedeemRequest({ account: lp });
      await client.waitForBulkheadReceipt({ hash: await lpWallet.writeContract(cancelRedeem.request) });
      const back = await client.simulateClaimCancelRedeemRequest({ account: lp });
      expect(back.result).to.equal(shares);
      await client.waitForBulkheadReceipt({ hash: await lpWallet.writeContract(back.request) });
      expect((await client.getPoolState()).redeemQueue).to.deep.equal([]);

      // A position whose pnl reaches its cap is closed at the cap by anyone. The SDK opens it and executes it itself.
      const wallet = walletClient(alice);
      const from = await publicClient().getBlockNumber();
      const opening = requestOpenAndWait(wallet, {
        addresses,
        marketId: ETH,
        isLong: true,
        size: WAD,
        collateral: 1_000n * USD,
        execute: true,
      });
      await untilOrderRequested(s, alice, from);
      await publishRound(s, ETH);
      const { positionId, outcome } = await opening;
      expect(outcome.event.executor).to.equal(alice);
      const { maxProfit } = await s.engine.position(positionId);
      await setPrice(s, ETH, ETH_PRICE * 3n);
      expect(await client.getAtCap({ positionIds: [positionId, 999n] })).to.deep.equal([true, false]);
      // Past its cap price, LP requests wait until someone takes it.
      expect(await client.getPastEdges({ marketId: ETH, price: ETH_PRICE * 3n })).to.deep.equal({
        beyondCap: true,
        underWater: false,
      });
      const waiting = await client.getPoolState();
      expect([waiting.executionOpen, waiting.retryAt]).to.deep.equal([false, 0n]);
      const keeper = s.actors.keeper.address as Address;
      const single = await client.simulateTakeProfit({ account: keeper, positionId });
      expect(single.request.functionName).to.equal("takeProfit");
      const batch = await client.simulateTakeProfitBatch({ account: keeper, positionIds: [positionId, 999n] });
      expect(batch.result).to.equal(1n);
      const taken = await client.waitForBulkheadReceipt({
        hash: await walletClient(keeper).writeContract(batch.request),
      });
      expect(eventsNamed(taken.events, "ProfitTaken")[0]!.args.profit).to.equal(maxProfit);
      expect(await client.getPastEdges({ marketId: ETH, price: ETH_PRICE * 3n })).to.deep.equal({
        beyondCap: false,
        underWater: false,
      });
    });

    it("simulate… sends nothing, approvals included", async function () {
      const carol = s.actors.carol.address as Address;
      await s.usd.mint(carol, 1_000n * USD);
      const client = publicClient();
      const before = await client.getTransactionCount({ address: carol });
      await expectRejection(
        simulateRequestOpen(client, {
          addresses,
          account: carol,
          marketId: ETH,
          isLong: true,
          size: WAD / 10n,
          collateral: 100n * USD,
        }),
        sdk.ERC20InsufficientAllowanceError,
      );
      expect(await client.getTransactionCount({ address: carol })).to.equal(before);
    });

    it("waitForOrderRequested returns the new id, and waitForOrder the outcome; each says so when there is none", async function () {
      const wallet = walletClient(alice);
      const client = publicClient();
      const hash = await sdk.requestOpen(wallet, {
        addresses,
        marketId: ETH,
        isLong: false,
        size: WAD,
        collateral: 500n * USD,
      });
      const requested = await waitForOrderRequested(client, { hash, addresses });
      expect(requested.positionId).to.equal((await s.engine.nextPositionId()) - 1n);
      expect(requested.kind).to.equal("Open");
      expect(requested.event).to.deep.include({
        owner: alice,
        isLong: false,
        sizeDelta: WAD,
        collateralDelta: 500n * USD,
      });
      expect(requested.receipt.transactionHash).to.equal(hash);
      // No round yet: waiting gives up after the timeout, typed.
      await expectRejection(waitForOrder(client, { addresses, hash, timeout: 100 }), WaitForOrderTimeoutError);
      await publishRound(s, ETH);
      // By position: the order pending now. It executes (here by the waiting client itself, Alice's).
      const outcome = await waitForOrder(wallet, { addresses, positionId: requested.positionId, execute: true });
      expect(outcome).to.deep.include({ status: "executed", kind: "Open", positionId: requested.positionId });
      // The same outcome, looked for from the request's block.
      const again = await waitForOrder(client, {
        addresses,
        positionId: requested.positionId,
        kind: "Open",
        fromBlock: requested.blockNumber,
      });
      expect(again.transactionHash).to.equal(outcome.transactionHash);
      await expectRejection(
        waitForOrder(client, { addresses, positionId: requested.positionId }),
        OrderNotPendingError,
      );
      const added = await sdk.addMargin(wallet, { addresses, positionId: requested.positionId, amount: USD });
      await expectRejection(
        waitForOrderRequested(client, { hash: added, addresses }),
        OrderRequestedEventNotFoundError,
      );
    });

    it("addMargin tops up anyone's position; removeMargin pays the receiver the owner names", async function () {
      const id = await openPosition(s, s.actors.alice, ETH, true, WAD, 600n * USD);
      const bob = s.actors.bob.address as Address;
      await s.usd.mint(bob, 100n * USD);
      const bobWallet = walletClient(bob);
      // Bob has no allowance: the SDK approves exactly the amount first.
      const topUp = await sdk.addMargin(bobWallet, { addresses, positionId: id, amount: 40n * USD });
      const added = eventsNamed(
        (await sdk.waitForBulkheadReceipt(publicClient(), { hash: topUp, addresses })).events,
        "MarginAdded",
      );
      expect(added[0]!.args).to.deep.include({
        positionId: id,
        from: bob,
        amount: 40n * USD,
        newCollateral: 640n * USD,
      });
      expect(await s.usd.balanceOf(bob)).to.equal(60n * USD);
      const carol = s.actors.carol.address as Address;
      const removed = await sdk.removeMargin(walletClient(alice), {
        addresses,
        positionId: id,
        amount: 30n * USD,
        receiver: carol,
      });
      const event = eventsNamed(
        (await sdk.waitForBulkheadReceipt(publicClient(), { hash: removed, addresses })).events,
        "MarginRemoved",
      )[0]!.args;
      expect(event).to.deep.include({ amount: 30n * USD, newCollateral: 610n * USD, receiver: carol });
      expect(await s.usd.balanceOf(carol)).to.equal(30n * USD);
      expect(event.newMaxProfit).to.equal((await s.engine.position(id)).maxProfit);
    });
  });

  describe("entry points", function () {
    it("the main and ethers entries type the settlement token with standard interfaces, not the test mock", function () {
      expect(Object.keys(sdk)).to.not.include("testStablecoinAbi");
      expect(Object.keys(sdk)).to.not.include("mockV3AggregatorAbi");
      expect(Object.keys(ethersEntry)).to.not.include("TestStablecoin__factory");
      expect(Object.keys(ethersEntry)).to.not.include("MockV3Aggregator__factory");
      expect(Object.keys(ethersEntry)).to.include("IERC20Metadata__factory");
      const names = settlementTokenAbi.filter((item) => item.type === "function").map((item) => item.name);
      expect(names).to.include.members(["balanceOf", "decimals", "approve", "permit", "nonces", "eip712Domain"]);
      expect(names).to.not.include("mint");
    });

    it("@bulkhead/sdk/mocks has the test stablecoin's and the mock feed's ABIs; /mocks/ethers their factories", function () {
      expect(Object.keys(mocks).sort()).to.deep.equal(["mockV3AggregatorAbi", "testStablecoinAbi"]);
      const fn = (abi: readonly { type: string; name?: string }[]) =>
        abi.filter((item) => item.type === "function").map((item) => item.name);
      expect(fn(mocks.testStablecoinAbi)).to.include("mint");
      expect(fn(mocks.mockV3AggregatorAbi)).to.include.members(["updateAnswer", "latestRoundData", "getRoundData"]);
      expect(Object.keys(mocksEthers)).to.include.members(["TestStablecoin__factory", "MockV3Aggregator__factory"]);
    });

    it("the mocks drive a local chain through viem: mint with the faucet, move the feed", async function () {
      const s = await networkHelpers.loadFixture(deployBulkhead);
      const addresses = await addressesOf(s);
      const client = createPublicClient({ transport, pollingInterval: 20 });
      const deployer = createWalletClient({ transport, account: s.actors.deployer.address as Address });
      const carol = s.actors.carol.address as Address;
      const minted = await deployer.writeContract({
        address: addresses.asset,
        abi: mocks.testStablecoinAbi,
        functionName: "mint",
        args: [carol, 7n * USD],
        chain: null,
      });
      await client.waitForTransactionReceipt({ hash: minted });
      expect(
        await client.readContract({
          address: addresses.asset,
          abi: settlementTokenAbi,
          functionName: "balanceOf",
          args: [carol],
        }),
      ).to.equal(7n * USD);
      const feed = (await s.config.marketParams(ETH)).feed as Address;
      const moved = await deployer.writeContract({
        address: feed,
        abi: mocks.mockV3AggregatorAbi,
        functionName: "updateAnswer",
        args: [2_500n * 10n ** 8n],
        chain: null,
      });
      await client.waitForTransactionReceipt({ hash: moved });
      const [, answer] = await client.readContract({
        address: feed,
        abi: mocks.mockV3AggregatorAbi,
        functionName: "latestRoundData",
      });
      expect(answer).to.equal(2_500n * 10n ** 8n);
    });
  });
});

async function expectRejection(promise: Promise<unknown>, ErrorClass: abstract new (...args: never[]) => Error) {
  const outcome = await promise.then(
    () => "resolved",
    (error: unknown) => error,
  );
  expect(outcome).to.be.instanceOf(ErrorClass);
  expect(outcome).to.be.instanceOf(BaseError);
}
