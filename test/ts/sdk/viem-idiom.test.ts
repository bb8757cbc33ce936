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
  openPositionAndWait,
  PermitNotSupportedError,
  PositionMathError,
  PositionNotOpenError,
  PositionOpenedEventNotFoundError,
  settlementTokenAbi,
  simulateAddMargin,
  simulateOpenPosition,
  TransactionRevertedError,
  UnknownRevertError,
  waitForPositionOpened,
  WalletClientRequiredError,
  type BulkheadAddresses,
} from "../../../sdk/src/index.js";
import * as mocks from "../../../sdk/src/mocks.js";
import * as mocksEthers from "../../../sdk/src/mocks-ethers.js";
import * as ethersEntry from "../../../sdk/src/ethers.js";
import { deployBulkhead, ETH, ETH_PRICE, fund, setPrice, USD, WAD, type Bulkhead } from "../fixture.js";
import { sdkConnection } from "./connection.js";
import { addressesOf } from "./utils.js";

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
        new AccountRequiredError("openPosition"),
        new PermitNotSupportedError("0x0000000000000000000000000000000000000001"),
        new PositionNotOpenError(7n),
        new TransactionRevertedError("0x01"),
        new PositionMathError("overflow", "a × b"),
        new ChainMismatchError(1, 31337),
        new WalletClientRequiredError("closePosition"),
        new PositionOpenedEventNotFoundError("0x02"),
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
      const { positionId, event } = await writer.openPositionAndWait({
        marketId: ETH,
        isLong: true,
        size: WAD,
        collateral: 600n * USD,
      });
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
      await expectRejection(noAccount.closePosition({ positionId }), AccountRequiredError);
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

      const opened = await client.simulateOpenPosition({
        account: alice,
        marketId: ETH,
        isLong: true,
        size: 2n * WAD,
        collateral: 1_000n * USD,
      });
      expect(opened.request.functionName).to.equal("open");
      expect(opened.request.abi).to.equal(marginEngineAbi);
      expect(opened.request.account.address).to.equal(alice);
      const openEvents = await send(opened.request);
      const positionId = eventsNamed(openEvents, "PositionOpened")[0]!.args.positionId;
      // The simulated result is the id the open then got.
      expect(opened.result).to.equal(positionId);

      const increased = await client.simulateIncreasePosition({
        account: alice,
        positionId,
        sizeDelta: WAD,
        collateralDelta: 100n * USD,
      });
      expect(eventsNamed(await send(increased.request), "PositionIncreased")[0]!.args.newSize).to.equal(3n * WAD);
      const decreased = await client.simulateDecreasePosition({ account: alice, positionId, sizeDelta: WAD });
      expect(eventsNamed(await send(decreased.request), "PositionDecreased")[0]!.args.newSize).to.equal(2n * WAD);
      const added = await client.simulateAddMargin({ account: alice, positionId, amount: 10n * USD });
      expect(eventsNamed(await send(added.request), "MarginAdded")).to.have.length(1);
      const removed = await client.simulateRemoveMargin({ account: alice, positionId, amount: 10n * USD });
      expect(eventsNamed(await send(removed.request), "MarginRemoved")).to.have.length(1);
      const closed = await client.simulateClosePosition({ account: alice, positionId });
      expect(eventsNamed(await send(closed.request), "PositionClosed")[0]!.args.positionId).to.equal(positionId);

      // Keepers: one liquidation and a batch.
      const ids: bigint[] = [];
      for (let i = 0; i < 2; i++) {
        const { request } = await client.simulateOpenPosition({
          account: alice,
          marketId: ETH,
          isLong: true,
          size: 10n * WAD,
          collateral: 3_000n * USD,
        });
        ids.push(eventsNamed(await send(request), "PositionOpened")[0]!.args.positionId);
      }
      await setPrice(s, ETH, (ETH_PRICE * 94n) / 100n);
      const keeper = s.actors.keeper.address as Address;
      const keeperWallet = walletClient(keeper);
      const single = await client.simulateLiquidate({ account: keeper, positionId: ids[0]! });
      await client.waitForBulkheadReceipt({ hash: await keeperWallet.writeContract(single.request) });
      const batch = await client.simulateLiquidateBatch({ account: keeper, positionIds: [ids[1]!, 999n] });
      const liquidated = await client.waitForBulkheadReceipt({ hash: await keeperWallet.writeContract(batch.request) });
      expect(eventsNamed(liquidated.events, "PositionLiquidated").map((e) => e.args.positionId)).to.deep.equal([
        ids[1],
      ]);
      // A position that is not liquidatable: the simulation throws the typed error, nothing is sent.
      await setPrice(s, ETH, ETH_PRICE);
      const { positionId: healthy } = await openPositionAndWait(wallet, {
        addresses,
        marketId: ETH,
        isLong: false,
        size: WAD,
        collateral: 1_000n * USD,
      });
      await expectRejection(client.simulateLiquidate({ account: keeper, positionId: healthy }), NotLiquidatableError);
      await expectRejection(
        client.simulateRemoveMargin({ account: alice, positionId: healthy, amount: 995n * USD }),
        CollateralBelowMinimumError,
      );
      // claimRefund: nothing deferred for this position, a typed revert from the simulation.
      const refund = client.simulateClaimRefund({ account: alice, positionId: healthy, to: alice });
      const refused = await refund.then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).to.be.instanceOf(sdk.BulkheadContractError).and.instanceOf(BaseError);

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

      // A position whose pnl reaches its cap is closed at the cap by anyone.
      const wallet = walletClient(alice);
      const { positionId } = await openPositionAndWait(wallet, {
        addresses,
        marketId: ETH,
        isLong: true,
        size: WAD,
        collateral: 1_000n * USD,
      });
      const { maxProfit } = await s.engine.position(positionId);
      await setPrice(s, ETH, ETH_PRICE * 3n);
      expect(await client.getAtCap({ positionIds: [positionId, 999n] })).to.deep.equal([true, false]);
      const keeper = s.actors.keeper.address as Address;
      const single = await client.simulateTakeProfit({ account: keeper, positionId });
      expect(single.request.functionName).to.equal("takeProfit");
      const batch = await client.simulateTakeProfitBatch({ account: keeper, positionIds: [positionId, 999n] });
      expect(batch.result).to.equal(1n);
      const taken = await client.waitForBulkheadReceipt({
        hash: await walletClient(keeper).writeContract(batch.request),
      });
      expect(eventsNamed(taken.events, "ProfitTaken")[0]!.args.profit).to.equal(maxProfit);
    });

    it("simulate… sends nothing, approvals included", async function () {
      const carol = s.actors.carol.address as Address;
      await s.usd.mint(carol, 1_000n * USD);
      const client = publicClient();
      const before = await client.getTransactionCount({ address: carol });
      await expectRejection(
        simulateOpenPosition(client, {
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

    it("waitForPositionOpened returns the new id, and says so when a transaction opened nothing", async function () {
      const wallet = walletClient(alice);
      const client = publicClient();
      const hash = await sdk.openPosition(wallet, {
        addresses,
        marketId: ETH,
        isLong: false,
        size: WAD,
        collateral: 500n * USD,
      });
      const opened = await waitForPositionOpened(client, { hash, addresses });
      expect(opened.positionId).to.equal((await s.engine.nextPositionId()) - 1n);
      expect(opened.event).to.deep.include({ owner: alice, isLong: false, size: WAD });
      expect(opened.receipt.transactionHash).to.equal(hash);
      const added = await sdk.addMargin(wallet, { addresses, positionId: opened.positionId, amount: USD });
      await expectRejection(
        waitForPositionOpened(client, { hash: added, addresses }),
        PositionOpenedEventNotFoundError,
      );
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
