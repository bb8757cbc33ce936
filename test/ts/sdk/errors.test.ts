/**
 * Typed errors: every custom error any SDK contract can revert with decodes into its named class with its
 * arguments — from raw data, from a viem error and from an ethers CALL_EXCEPTION — and the reverts the protocol
 * raises on bad input, triggered for real on the embedded chain, reach viem callers (the SDK's actions) and ethers
 * callers (typechain contracts) as those classes.
 */
import { expect } from "chai";
import {
  BrowserProvider,
  Interface,
  MaxUint256,
  ZeroAddress,
  type CallExceptionError,
  type Eip1193Provider,
} from "ethers";
import {
  BaseError,
  ContractFunctionExecutionError,
  ContractFunctionRevertedError,
  encodeErrorResult,
  getAddress,
  toFunctionSelector,
  type AbiParameter,
  type Address,
  type Hex,
} from "viem";
import { readContract, simulateContract } from "viem/actions";

import {
  AccessManagedUnauthorizedError,
  addMargin,
  AsyncFlowError,
  BindingForbiddenError,
  bulkheadErrorClasses,
  bulkheadErrorsAbi,
  BulkheadContractError,
  BulkheadError,
  CANCEL_REASONS,
  cancelDepositRequest,
  cancelOrder,
  CancelWindowClosedError,
  claim,
  claimDeposit,
  ClosePendingError,
  CollateralBelowMinimumError,
  ContractPanicError,
  ContractRevertStringError,
  DeadlineExpiredError,
  decodeBulkheadError,
  decodeBulkheadErrorData,
  decodePositionEvents,
  ERC20InsufficientAllowanceError,
  ExceedsClaimableError,
  executeDeposits,
  executeOrder,
  ExecutionFeeTooLowError,
  FeedNotDeadError,
  getPositionSummary,
  getRevertData,
  GracePeriodError,
  InitialMarginBreachedError,
  liquidate,
  liquidityPoolAbi,
  LpExecutionPausedError,
  marginEngineAbi,
  MarketInSettlementError,
  MarketSettledError,
  NoGoodAnswerError,
  NonPositivePriceError,
  NoPendingOrderError,
  NoPendingRequestError,
  NotAtCapError,
  NothingToClaimError,
  NotLiquidatableError,
  NotOperatorError,
  NotPositionOwnerError,
  OnlyEngineError,
  OrderNotReadyError,
  OrderPendingError,
  OrderStillExecutableError,
  ParameterOutOfBoundsError,
  PausedError,
  PositionNotFoundError,
  PositionNotOpenError,
  previewRemoveMargin,
  removeMargin,
  requestClose,
  requestDecrease,
  requestDeposit,
  requestIncrease,
  requestOpen,
  requestRedeem,
  RequestPendingError,
  RequestTooSmallError,
  riskConfigAbi,
  SequencerDownError,
  SizeDeltaTooLargeError,
  StalePriceError,
  takeProfit,
  TooManyMarketsError,
  UnknownMarketError,
  UnknownPositionError,
  UnknownRevertError,
  waitForOrderRequested,
  ZeroAmountError,
  ZeroEngineError,
  ZeroReceiverError,
  ZeroSizeError,
  type BulkheadAddresses,
  type BulkheadErrorName,
} from "../../../sdk/src/index.js";
import {
  InsuranceFund__factory,
  LiquidityPool__factory,
  MarginEngine__factory,
  MockV3Aggregator__factory,
  RiskConfig__factory,
} from "../../../typechain-types/index.js";
import {
  deployBulkhead,
  ETH,
  ETH_PRICE,
  fund,
  HEARTBEAT,
  KEEPER_RESERVE,
  mined,
  openPosition as openWithEthers,
  publishRound,
  SCALE,
  setPrice,
  USD,
  WAD,
  type Bulkhead,
} from "../fixture.js";
import { addressesOf, viemClients, type ViemClients } from "./utils.js";
import { sdkConnection } from "./connection.js";

const connection = sdkConnection;
const { networkHelpers, provider } = connection;

type ErrorClass = (typeof bulkheadErrorClasses)[BulkheadErrorName];

/** A sample value of an ABI type, as viem decodes it. */
function sample(param: AbiParameter, i: number): unknown {
  const type = param.type;
  if (type === "address") return getAddress(`0x${(0xb0 + i).toString(16).padStart(2, "0").repeat(20)}`);
  if (type === "bool") return i % 2 === 0;
  if (type === "string") return `bulkhead-${i}`;
  if (type === "bytes") return "0xdeadbeef";
  if (type.startsWith("bytes")) return `0x${"ab".repeat(Number(type.slice(5)))}`;
  const match = /^(u?)int(\d+)$/.exec(type);
  if (match === null) throw new Error(`no sample for ${type}`);
  const bits = Number(match[2]);
  const value = match[1] === "u" ? 2n ** BigInt(bits) - 1n - BigInt(i) : -(2n ** BigInt(bits - 1)) + BigInt(i);
  return bits <= 48 ? Number(value) : value;
}

describe("SDK typed errors", function () {
  describe("every custom error of the contracts, synthetic revert data", function () {
    const errors = bulkheadErrorsAbi.filter((item) => item.type === "error");

    it("has a named class for every error in the ABIs, and nothing else", function () {
      expect(Object.keys(bulkheadErrorClasses).sort()).to.deep.equal(errors.map((e) => e.name).sort());
      expect(errors.length).to.be.greaterThan(40);
    });

    for (const item of errors) {
      it(`${item.name}: raw data, viem and ethers errors decode to ${item.name}Error with its arguments`, function () {
        const values = item.inputs.map((input, i) => sample(input, i));
        const args = Object.fromEntries(item.inputs.map((input, i) => [input.name, values[i]]));
        const data = encodeErrorResult({ abi: [item], errorName: item.name, args: values } as never) as Hex;
        const ErrorClass: ErrorClass = bulkheadErrorClasses[item.name];
        const signature = `${item.name}(${item.inputs.map((input) => input.type).join(",")})`;

        const raw = decodeBulkheadErrorData(data);
        expect(raw)
          .to.be.instanceOf(ErrorClass)
          .and.instanceOf(BulkheadContractError)
          .and.instanceOf(BulkheadError)
          .and.instanceOf(BaseError);
        const typed = raw as BulkheadContractError;
        expect(typed.errorName).to.equal(item.name);
        expect(typed.args).to.deep.equal(args);
        expect(typed.data).to.equal(data);
        expect(typed.signature).to.equal(signature);
        expect(typed.selector).to.equal(toFunctionSelector(signature)).and.equal(data.slice(0, 10));
        expect(typed.name).to.equal(`${item.name}Error`);
        expect(typed.shortMessage).to.contain(item.name);

        // viem: a reverted call, wrapped as viem wraps it, whose ABI may not even know the error.
        const reverted = new ContractFunctionRevertedError({
          abi: marginEngineAbi,
          data,
          functionName: "nextPositionId",
        });
        const viemError = new ContractFunctionExecutionError(reverted, {
          abi: marginEngineAbi,
          functionName: "nextPositionId",
          args: [],
          contractAddress: "0x0000000000000000000000000000000000000001",
        });
        const fromViem = decodeBulkheadError(viemError);
        expect(fromViem).to.be.instanceOf(ErrorClass);
        expect((fromViem as BulkheadContractError).args).to.deep.equal(args);
        expect((fromViem as BulkheadContractError).cause).to.equal(viemError);

        // ethers: the CALL_EXCEPTION an ethers contract throws, built by ethers itself.
        const ethersError: CallExceptionError = new Interface(marginEngineAbi as never).makeError(data, {
          to: "0x0000000000000000000000000000000000000001",
          data: "0x",
        });
        expect(ethersError.code).to.equal("CALL_EXCEPTION");
        const fromEthers = decodeBulkheadError(ethersError);
        expect(fromEthers).to.be.instanceOf(ErrorClass);
        expect((fromEthers as BulkheadContractError).args).to.deep.equal(args);
        expect((fromEthers as BulkheadContractError).cause).to.equal(ethersError);
      });
    }

    it("decodes panics, reason strings and unknown data; finds no data where there is none", function () {
      const panic = encodeErrorResult({
        abi: [{ type: "error", name: "Panic", inputs: [{ name: "code", type: "uint256" }] }],
        errorName: "Panic",
        args: [0x11n],
      });
      const decodedPanic = decodeBulkheadErrorData(panic);
      expect(decodedPanic).to.be.instanceOf(ContractPanicError);
      expect((decodedPanic as ContractPanicError).code).to.equal(0x11n);
      expect((decodedPanic as ContractPanicError).shortMessage).to.contain("overflow");

      const reason = encodeErrorResult({
        abi: [{ type: "error", name: "Error", inputs: [{ name: "reason", type: "string" }] }],
        errorName: "Error",
        args: ["nope"],
      });
      const decodedReason = decodeBulkheadErrorData(reason);
      expect(decodedReason).to.be.instanceOf(ContractRevertStringError);
      expect((decodedReason as ContractRevertStringError).reason).to.equal("nope");

      const unknown = decodeBulkheadErrorData("0x12345678aabb");
      expect(unknown).to.be.instanceOf(UnknownRevertError);
      expect((unknown as UnknownRevertError).selector).to.equal("0x12345678");
      expect(decodeBulkheadError(new Error("no data here"))).to.equal(undefined);
      expect(getRevertData({ cause: { error: { data: "0x" } } })).to.equal("0x");
      expect(decodeBulkheadError({ info: { error: { data: { data: ZeroSizeError.selector } } } })).to.be.instanceOf(
        ZeroSizeError,
      );
    });
  });

  describe("reverts on the embedded chain reach viem and ethers callers typed", function () {
    let s: Bulkhead;
    let addresses: BulkheadAddresses;
    let clients: ViemClients;
    let alice: Address;
    let bob: Address;

    /** The revert reaches an ethers caller (typechain, `staticCall` or a sent transaction) as `ErrorClass(args)`. */
    async function expectEthers(
      call: Promise<unknown>,
      ErrorClass: ErrorClass,
      args: Record<string, unknown>,
    ): Promise<void> {
      let thrown: unknown;
      try {
        await call;
      } catch (error) {
        thrown = error;
      }
      expect(thrown, "ethers call should revert").to.not.equal(undefined);
      expect((thrown as { code?: string }).code).to.equal("CALL_EXCEPTION");
      const decoded = decodeBulkheadError(thrown);
      expect(decoded, `decoded ${String(thrown)}`).to.be.instanceOf(ErrorClass);
      expect((decoded as BulkheadContractError).args).to.deep.equal(args);
    }

    /** The revert reaches a viem caller as `ErrorClass(args)`: thrown as such by the SDK, or decoded from viem's error. */
    async function expectViem(
      call: Promise<unknown>,
      ErrorClass: ErrorClass,
      args: Record<string, unknown>,
    ): Promise<void> {
      let thrown: unknown;
      try {
        await call;
      } catch (error) {
        thrown = error;
      }
      expect(thrown, "viem call should revert").to.not.equal(undefined);
      const decoded = thrown instanceof BulkheadContractError ? thrown : decodeBulkheadError(thrown);
      expect(decoded, `decoded ${String(thrown)}`).to.be.instanceOf(ErrorClass);
      expect((decoded as BulkheadContractError).args).to.deep.equal(args);
    }

    /**
     * Typechain contracts on a plain ethers `BrowserProvider` over the chain (not Hardhat's ethers plugin), so
     * reverts reach the test as ethers itself reports them to an application: `CALL_EXCEPTION` errors.
     */
    async function asEthersUser(who: { address: string }) {
      const signer = await new BrowserProvider(provider as unknown as Eip1193Provider).getSigner(who.address);
      return {
        engine: MarginEngine__factory.connect(addresses.marginEngine, signer),
        pool: LiquidityPool__factory.connect(addresses.liquidityPool, signer),
        config: RiskConfig__factory.connect(addresses.riskConfig, signer),
      };
    }

    async function now(): Promise<bigint> {
      return BigInt(await networkHelpers.time.latest());
    }

    beforeEach(async function () {
      s = await networkHelpers.loadFixture(deployBulkhead);
      addresses = await addressesOf(s);
      clients = viemClients(provider);
      alice = s.actors.alice.address as Address;
      bob = s.actors.bob.address as Address;
      await fund(s, s.actors.alice, 10_000_000n * USD);
      await fund(s, s.actors.bob, 10_000_000n * USD);
    });

    it("ZeroSize, ZeroAmount, ZeroReceiver, UnknownPosition, NotPositionOwner, SizeDeltaTooLarge", async function () {
      const wallet = clients.walletFor(alice);
      const { engine } = await asEthersUser(s.actors.alice);
      const deadline = (await now()) + 3_600n;
      const fee = s.global.minExecutionFee;
      await expectViem(
        requestOpen(wallet, { addresses, marketId: ETH, isLong: true, size: 0n, collateral: 100n * USD }),
        ZeroSizeError,
        {},
      );
      await expectEthers(
        engine.requestOpen.staticCall(ETH, true, 0n, 100n * USD, MaxUint256, deadline, fee),
        ZeroSizeError,
        {},
      );
      const id = await openWithEthers(s, s.actors.alice, ETH, true, WAD, 600n * USD);
      await expectViem(addMargin(wallet, { addresses, positionId: id, amount: 0n }), ZeroAmountError, {});
      await expectEthers(engine.addMargin(id, 0n), ZeroAmountError, {});
      await expectEthers(engine.requestClose.staticCall(id, 0n, deadline, fee, ZeroAddress), ZeroReceiverError, {});
      await expectEthers(engine.removeMargin.staticCall(id, USD, ZeroAddress), ZeroReceiverError, {});
      await expectViem(addMargin(wallet, { addresses, positionId: 999n, amount: 1n }), UnknownPositionError, {
        positionId: 999n,
      });
      await expectEthers(engine.removeMargin.staticCall(999n, 1n, alice), UnknownPositionError, { positionId: 999n });
      // The SDK reads the position before building a close request; the engine's own refusal shows above.
      let notFound: unknown;
      await requestClose(wallet, { addresses, positionId: 999n }).catch((error: unknown) => (notFound = error));
      expect(notFound).to.be.instanceOf(PositionNotFoundError);
      await expectViem(
        removeMargin(clients.walletFor(bob), { addresses, positionId: id, amount: 1n }),
        NotPositionOwnerError,
        { positionId: id, caller: bob },
      );
      await expectEthers(
        (await asEthersUser(s.actors.bob)).engine.requestClose.staticCall(id, 0n, deadline, fee, bob),
        NotPositionOwnerError,
        { positionId: id, caller: bob },
      );
      await expectViem(requestDecrease(wallet, { addresses, positionId: id, sizeDelta: WAD }), SizeDeltaTooLargeError, {
        sizeDelta: WAD,
        size: WAD,
      });
      await expectEthers(
        engine.requestDecrease.staticCall(id, 2n * WAD, 0n, deadline, fee, alice),
        SizeDeltaTooLargeError,
        { sizeDelta: 2n * WAD, size: WAD },
      );
    });

    it("DeadlineExpired, ExecutionFeeTooLow, CollateralBelowMinimum, PositionNotOpen, OrderNotReady, OrderStillExecutable, NoPendingOrder", async function () {
      const wallet = clients.walletFor(alice);
      const keeper = clients.walletFor(s.actors.keeper.address as Address);
      const { engine } = await asEthersUser(s.actors.alice);
      const t = await now();
      const fee = s.global.minExecutionFee;
      const open = { addresses, marketId: ETH, isLong: true, size: WAD, collateral: 600n * USD } as const;
      await expectViem(requestOpen(wallet, { ...open, deadline: t - 1n }), DeadlineExpiredError, {
        deadline: t - 1n,
        timestamp: t,
      });
      await expectEthers(
        engine.requestOpen.staticCall(ETH, true, WAD, 600n * USD, MaxUint256, t - 1n, fee),
        DeadlineExpiredError,
        { deadline: t - 1n, timestamp: t },
      );
      await expectViem(requestOpen(wallet, { ...open, executionFee: fee - 1n }), ExecutionFeeTooLowError, {
        fee: fee - 1n,
        minimum: fee,
      });
      await expectEthers(
        engine.requestOpen.staticCall(ETH, true, WAD, 600n * USD, MaxUint256, t + 60n, fee - 1n),
        ExecutionFeeTooLowError,
        { fee: fee - 1n, minimum: fee },
      );
      await expectViem(requestOpen(wallet, { ...open, collateral: USD }), CollateralBelowMinimumError, {
        collateral: USD,
        minimum: s.global.minCollateral,
      });
      await expectEthers(
        engine.requestOpen.staticCall(ETH, true, WAD, USD, MaxUint256, t + 60n, fee),
        CollateralBelowMinimumError,
        { collateral: USD, minimum: s.global.minCollateral },
      );

      // A pending open: the position exists but cannot be traded, and its order waits for the feed's next round.
      const id = (await waitForOrderRequested(clients.publicClient, { hash: await requestOpen(wallet, open) }))
        .positionId;
      await expectViem(requestIncrease(wallet, { addresses, positionId: id, sizeDelta: WAD }), PositionNotOpenError, {
        positionId: id,
      });
      await expectEthers(engine.addMargin.staticCall(id, USD), PositionNotOpenError, { positionId: id });
      await expectViem(executeOrder(keeper, { addresses, positionId: id }), OrderNotReadyError, { positionId: id });
      await expectEthers((await asEthersUser(s.actors.keeper)).engine.executeOrder.staticCall(id), OrderNotReadyError, {
        positionId: id,
      });
      // It can still execute (a round may come before its deadline): nobody may cancel it.
      await expectViem(cancelOrder(keeper, { addresses, positionId: id }), OrderStillExecutableError, {
        positionId: id,
      });
      await expectEthers(engine.cancelOrder.staticCall(id), OrderStillExecutableError, { positionId: id });
      await publishRound(s, ETH);
      await executeOrder(keeper, { addresses, positionId: id });
      await expectViem(cancelOrder(keeper, { addresses, positionId: id }), NoPendingOrderError, { positionId: id });
      await expectEthers(engine.cancelOrder.staticCall(id), NoPendingOrderError, { positionId: id });
      await expectEthers(engine.executeOrder.staticCall(id), OrderNotReadyError, { positionId: id });
    });

    it("OrderPending, ClosePending: one order and one close per position; margin waits for both", async function () {
      const wallet = clients.walletFor(alice);
      const { engine } = await asEthersUser(s.actors.alice);
      const id = await openWithEthers(s, s.actors.alice, ETH, true, 2n * WAD, 1_000n * USD);
      const deadline = (await now()) + 3_600n;
      const fee = s.global.minExecutionFee;
      await requestIncrease(wallet, { addresses, positionId: id, sizeDelta: WAD, collateralDelta: 100n * USD });
      await expectViem(requestDecrease(wallet, { addresses, positionId: id, sizeDelta: WAD }), OrderPendingError, {
        positionId: id,
      });
      await expectEthers(engine.requestIncrease.staticCall(id, WAD, 0n, MaxUint256, deadline, fee), OrderPendingError, {
        positionId: id,
      });
      await expectViem(removeMargin(wallet, { addresses, positionId: id, amount: USD }), OrderPendingError, {
        positionId: id,
      });
      await expectEthers(engine.removeMargin.staticCall(id, USD, alice), OrderPendingError, { positionId: id });
      // A close is always allowed beside an order; this one replaces the increase, whose round does not exist yet.
      const replaced = await requestClose(wallet, { addresses, positionId: id });
      const [cancelled] = decodePositionEvents(
        (await clients.publicClient.waitForTransactionReceipt({ hash: replaced })).logs,
      ).filter((event) => event.eventName === "OrderCancelled");
      expect(cancelled?.args).to.deep.include({ positionId: id, reason: CANCEL_REASONS.indexOf("Replaced") });
      await expectViem(requestClose(wallet, { addresses, positionId: id }), ClosePendingError, { positionId: id });
      await expectEthers(engine.requestClose.staticCall(id, 0n, deadline, fee, alice), ClosePendingError, {
        positionId: id,
      });
      await expectViem(requestDecrease(wallet, { addresses, positionId: id, sizeDelta: WAD }), ClosePendingError, {
        positionId: id,
      });
      await expectViem(removeMargin(wallet, { addresses, positionId: id, amount: USD }), ClosePendingError, {
        positionId: id,
      });
      await expectEthers(engine.removeMargin.staticCall(id, USD, alice), ClosePendingError, { positionId: id });
    });

    it("NotLiquidatable, InitialMarginBreached, GracePeriod", async function () {
      const wallet = clients.walletFor(alice);
      const keeper = clients.walletFor(s.actors.keeper.address as Address);
      const { engine } = await asEthersUser(s.actors.alice);
      const id = await openWithEthers(s, s.actors.alice, ETH, true, 10n * WAD, 3_000n * USD);
      const healthy = await getPositionSummary(clients.publicClient, { addresses, positionId: id });
      await expectViem(liquidate(keeper, { addresses, positionId: id }), NotLiquidatableError, {
        positionId: id,
        equity: healthy.equity,
        maintenanceMargin: healthy.maintenanceMargin,
      });
      await expectEthers((await asEthersUser(s.actors.keeper)).engine.liquidate.staticCall(id), NotLiquidatableError, {
        positionId: id,
        equity: healthy.equity,
        maintenanceMargin: healthy.maintenanceMargin,
      });

      // -1 %: removing 100 USD would leave equity under the initial margin, exactly as the SDK's maths says.
      await setPrice(s, ETH, (ETH_PRICE * 99n) / 100n);
      const summary = await getPositionSummary(clients.publicClient, { addresses, positionId: id });
      // The SDK simulates the removal at the latest block: the state the summary was read at.
      const market = summary.market;
      const preview = previewRemoveMargin({
        position: summary.position,
        amount: 100n * USD,
        market,
        params: market.params,
        global: s.global,
        scale: SCALE,
      });
      expect(preview.error).to.equal("InitialMarginBreached");
      await expectViem(
        removeMargin(wallet, { addresses, positionId: id, amount: 100n * USD }),
        InitialMarginBreachedError,
        { equity: preview.equity, required: preview.required },
      );

      // An oracle outage (no round for longer than the heartbeat), then a fresh price: liquidations and margin
      // removal wait out the grace period.
      await networkHelpers.time.increase(HEARTBEAT + 10n);
      await setPrice(s, ETH, (ETH_PRICE * 75n) / 100n);
      const resumesAt = (await now()) + s.global.liquidationGracePeriod;
      await expectViem(liquidate(keeper, { addresses, positionId: id }), GracePeriodError, { resumesAt });
      await expectEthers((await asEthersUser(s.actors.keeper)).engine.liquidate.staticCall(id), GracePeriodError, {
        resumesAt,
      });
      await expectViem(removeMargin(wallet, { addresses, positionId: id, amount: USD }), GracePeriodError, {
        resumesAt,
      });
      await expectEthers(engine.removeMargin.staticCall(id, USD, alice), GracePeriodError, { resumesAt });
    });

    it("StalePrice, NonPositivePrice, SequencerDown, Paused, UnknownMarket", async function () {
      const wallet = clients.walletFor(alice);
      const { engine } = await asEthersUser(s.actors.alice);
      const fee = s.global.minExecutionFee;
      const open = { addresses, marketId: ETH, isLong: true, size: WAD, collateral: 600n * USD } as const;
      const feed = (await s.ethFeed.getAddress()) as Address;
      const updatedAt = await s.ethFeed.latestTimestamp();
      await networkHelpers.time.increase(HEARTBEAT + 1n);
      // The SDK reads the price for the default bound: a bad one surfaces before anything is signed.
      await expectViem(requestOpen(wallet, open), StalePriceError, { feed, updatedAt, heartbeat: HEARTBEAT });
      await expectEthers(engine.indexPrice(ETH), StalePriceError, { feed, updatedAt, heartbeat: HEARTBEAT });

      await mined(s.ethFeed.updateAnswer(0n));
      await expectViem(requestOpen(wallet, open), NonPositivePriceError, { feed, answer: 0n });
      await expectEthers(engine.indexPrice(ETH), NonPositivePriceError, { feed, answer: 0n });
      await setPrice(s, ETH, ETH_PRICE);

      const sequencer = await new MockV3Aggregator__factory(s.actors.deployer).deploy(0, 1n);
      const sequencerFeed = (await sequencer.getAddress()) as Address;
      await mined(s.config.connect(s.actors.governance).setSequencerFeed(sequencer));
      await expectViem(requestOpen(wallet, open), SequencerDownError, { sequencerFeed });
      await expectEthers(engine.indexPrice(ETH), SequencerDownError, { sequencerFeed });
      await mined(s.config.connect(s.actors.governance).setSequencerFeed(ZeroAddress));

      await mined(s.config.connect(s.actors.guardian).pause());
      await expectViem(requestOpen(wallet, open), PausedError, {});
      await expectEthers(
        engine.requestOpen.staticCall(ETH, true, WAD, 600n * USD, MaxUint256, (await now()) + 60n, fee),
        PausedError,
        {},
      );
      await mined(s.config.connect(s.actors.guardian).unpause());

      // Raised by the risk configuration, bubbled up through the engine.
      await expectViem(requestOpen(wallet, { ...open, marketId: 7n }), UnknownMarketError, { marketId: 7n });
      await expectEthers(
        engine.requestOpen.staticCall(7n, true, WAD, 600n * USD, MaxUint256, (await now()) + 60n, fee),
        UnknownMarketError,
        { marketId: 7n },
      );
    });

    it("LP requests: RequestTooSmall, RequestPending, NotOperator, NoPendingRequest, CancelWindowClosed, ExceedsClaimable, AsyncFlow", async function () {
      const wallet = clients.walletFor(alice);
      const { pool } = await asEthersUser(s.actors.alice);
      const { lpDelay, minRequest } = await s.config.lpParams();
      await expectViem(requestDeposit(wallet, { addresses, assets: minRequest - 1n }), RequestTooSmallError, {
        assets: minRequest - 1n,
        minimum: minRequest,
      });
      await expectEthers(pool.requestDeposit.staticCall(minRequest - 1n, alice, alice), RequestTooSmallError, {
        assets: minRequest - 1n,
        minimum: minRequest,
      });
      // Shares worth less than the minimum at the cached price.
      const seedShares = await s.pool.balanceOf(s.actors.lp);
      const lpWallet = clients.walletFor(s.actors.lp.address as Address);
      const cached = await s.pool.cachedSharePrice();
      const dust = (minRequest * WAD) / cached - 1n;
      expect(dust).to.be.lessThan(seedShares);
      await expectViem(requestRedeem(lpWallet, { addresses, shares: dust }), RequestTooSmallError, {
        assets: (dust * cached) / WAD,
        minimum: minRequest,
      });

      await expectViem(cancelDepositRequest(wallet, { addresses }), NoPendingRequestError, { controller: alice });
      await expectEthers(pool.cancelDepositRequest.staticCall(0n, alice), NoPendingRequestError, {
        controller: alice,
      });
      await mined(s.usd.connect(s.actors.alice).approve(s.pool, MaxUint256));
      await mined(s.pool.connect(s.actors.alice).requestDeposit(1_000n * USD, alice, alice));
      const [executableAt] = await s.pool.executableAt(alice);
      await expectViem(requestDeposit(wallet, { addresses, assets: 1_000n * USD }), RequestPendingError, {
        controller: alice,
      });
      await expectEthers(pool.requestDeposit.staticCall(1_000n * USD, alice, alice), RequestPendingError, {
        controller: alice,
      });
      // Bob is not Alice's operator: he may neither cancel her request nor spend her assets.
      const bobWallet = clients.walletFor(bob);
      await expectViem(cancelDepositRequest(bobWallet, { addresses, controller: alice }), NotOperatorError, {
        controller: alice,
        caller: bob,
      });
      await expectEthers(
        (await asEthersUser(s.actors.bob)).pool.requestDeposit.staticCall(1_000n * USD, bob, alice),
        NotOperatorError,
        { controller: alice, caller: bob },
      );
      await expectViem(claimDeposit(wallet, { addresses, assets: 1n }), ExceedsClaimableError, {
        controller: alice,
        requested: 1n,
        claimable: 0n,
      });
      await networkHelpers.time.increaseTo(executableAt);
      await expectViem(cancelDepositRequest(wallet, { addresses }), CancelWindowClosedError, {
        controller: alice,
        executableAt,
      });
      await expectEthers(pool.cancelDepositRequest.staticCall(0n, alice), CancelWindowClosedError, {
        controller: alice,
        executableAt,
      });
      expect(lpDelay).to.be.greaterThan(0n);
      await expectViem(
        readContract(clients.publicClient, {
          address: addresses.liquidityPool,
          abi: liquidityPoolAbi,
          functionName: "previewDeposit",
          args: [1n],
        }),
        AsyncFlowError,
        {},
      );
      await expectEthers(pool.previewRedeem.staticCall(1n), AsyncFlowError, {});
    });

    it("LpExecutionPaused, NotAtCap, NothingToClaim", async function () {
      const wallet = clients.walletFor(alice);
      const id = await openWithEthers(s, s.actors.alice, ETH, true, WAD, 600n * USD);
      const position = await s.engine.position(id);
      await expectViem(takeProfit(wallet, { addresses, positionId: id }), NotAtCapError, {
        positionId: id,
        pnl: 0n,
        maxProfit: position.maxProfit,
      });
      await expectEthers((await asEthersUser(s.actors.bob)).engine.takeProfit.staticCall(id), NotAtCapError, {
        positionId: id,
        pnl: 0n,
        maxProfit: position.maxProfit,
      });
      await expectViem(claim(wallet, { addresses, positionId: id }), NothingToClaimError, { positionId: id });
      await expectEthers((await asEthersUser(s.actors.alice)).engine.claim.staticCall(id, alice), NothingToClaimError, {
        positionId: id,
      });
      // With open interest on ETH, a stale ETH feed holds LP executions (no retry time: it depends on the feed).
      await mined(s.usd.connect(s.actors.bob).approve(s.pool, MaxUint256));
      await mined(s.pool.connect(s.actors.bob).requestDeposit(1_000n * USD, bob, bob));
      await networkHelpers.time.increase(HEARTBEAT + 1n);
      await expectViem(
        executeDeposits(clients.walletFor(bob), { addresses, controllers: [bob] }),
        LpExecutionPausedError,
        { retryAt: 0n },
      );
      await expectEthers(
        (await asEthersUser(s.actors.bob)).pool.executeDeposits.staticCall([bob]),
        LpExecutionPausedError,
        { retryAt: 0n },
      );
    });

    it("settlement: FeedNotDead, MarketSettled, MarketInSettlement, NoGoodAnswer", async function () {
      const deployer = s.actors.deployer;
      const config = (await asEthersUser(deployer)).config;
      await expectEthers(config.settleMarket.staticCall(ETH), FeedNotDeadError, {
        marketId: ETH,
        badSince: 0n,
        settleableAt: 0n,
      });
      // Stale since `updatedAt + heartbeat`; settleable three days later.
      const [, , , updatedAt] = await s.ethFeed.latestRoundData();
      await networkHelpers.time.increase(HEARTBEAT + 60n);
      const badSince = updatedAt + HEARTBEAT;
      await expectEthers(config.settleMarket.staticCall(ETH), FeedNotDeadError, {
        marketId: ETH,
        badSince,
        settleableAt: badSince + 3n * 86_400n,
      });
      await networkHelpers.time.increaseTo(badSince + 3n * 86_400n);
      await mined(s.config.connect(deployer).settleMarket(ETH));
      await expectEthers(config.settleMarket.staticCall(ETH), MarketSettledError, { marketId: ETH });
      await expectViem(
        requestOpen(clients.walletFor(alice), {
          addresses,
          marketId: ETH,
          isLong: true,
          size: WAD,
          collateral: 600n * USD,
        }),
        MarketInSettlementError,
        { marketId: ETH },
      );
      // A feed that never had a positive answer cannot be settled.
      const feed = await new MockV3Aggregator__factory(deployer).deploy(8, 0);
      await mined(s.config.connect(s.actors.governance).listMarket({ ...s.markets[0], feed: await feed.getAddress() }));
      const marketId = (await s.config.marketCount()) - 1n;
      await networkHelpers.time.increase(3n * 86_400n + 1n);
      await expectEthers(config.settleMarket.staticCall(marketId), NoGoodAnswerError, { marketId });
    });

    it("governance, binding, module and token errors: AccessManagedUnauthorized, ParameterOutOfBounds, TooManyMarkets, OnlyEngine, BindingForbidden, ZeroEngine, ERC20InsufficientAllowance", async function () {
      const { publicClient } = clients;
      const params = { ...s.markets[0] };
      const toViem = (p: typeof params) => ({
        ...p,
        feed: p.feed as Address,
        heartbeat: Number(p.heartbeat),
        feedDecimals: Number(p.feedDecimals),
        maxOrderWait: Number(p.maxOrderWait),
      });
      const listArgs = [toViem(params)] as const;

      await expectViem(
        simulateContract(publicClient, {
          address: addresses.riskConfig,
          abi: riskConfigAbi,
          functionName: "listMarket",
          args: listArgs,
          account: bob,
        }),
        AccessManagedUnauthorizedError,
        { caller: bob },
      );
      await expectEthers(
        (await asEthersUser(s.actors.bob)).config.listMarket.staticCall(params),
        AccessManagedUnauthorizedError,
        { caller: bob },
      );

      const governance = s.actors.governance.address as Address;
      const mmrName = `0x${Buffer.from("mmr").toString("hex").padEnd(64, "0")}`;
      const bad = { ...params, mmr: 0n };
      await expectViem(
        simulateContract(publicClient, {
          address: addresses.riskConfig,
          abi: riskConfigAbi,
          functionName: "listMarket",
          args: [toViem(bad)],
          account: governance,
        }),
        ParameterOutOfBoundsError,
        { name: mmrName, value: 0n, min: WAD / 200n, max: WAD / 10n - 1n },
      );
      await expectEthers(
        (await asEthersUser(s.actors.governance)).config.listMarket.staticCall(bad),
        ParameterOutOfBoundsError,
        {
          name: mmrName,
          value: 0n,
          min: WAD / 200n,
          max: WAD / 10n - 1n,
        },
      );
      for (let i = 2; i < 32; i++) await mined(s.config.connect(s.actors.governance).listMarket(params));
      await expectViem(
        simulateContract(publicClient, {
          address: addresses.riskConfig,
          abi: riskConfigAbi,
          functionName: "listMarket",
          args: listArgs,
          account: governance,
        }),
        TooManyMarketsError,
        {},
      );
      await expectEthers(
        (await asEthersUser(s.actors.governance)).config.listMarket.staticCall(params),
        TooManyMarketsError,
        {},
      );

      await expectViem(
        simulateContract(publicClient, {
          address: addresses.liquidityPool,
          abi: liquidityPoolAbi,
          functionName: "pay",
          args: [bob, 1n],
          account: bob,
        }),
        OnlyEngineError,
        { caller: bob },
      );
      await expectEthers((await asEthersUser(s.actors.bob)).pool.pay.staticCall(bob, 1n), OnlyEngineError, {
        caller: bob,
      });
      // The engine's modules run only through the engine (by delegatecall), never on their own.
      const orderModule = (await s.engine.ORDER_MODULE()) as Address;
      await expectViem(
        simulateContract(publicClient, {
          address: orderModule,
          abi: marginEngineAbi,
          functionName: "executeOrder",
          args: [1n],
          account: bob,
        }),
        OnlyEngineError,
        { caller: bob },
      );
      await expectEthers(
        MarginEngine__factory.connect(
          orderModule,
          (await asEthersUser(s.actors.bob)).engine.runner,
        ).executeOrder.staticCall(1n),
        OnlyEngineError,
        { caller: bob },
      );
      const deployer = s.actors.deployer.address as Address;
      await expectViem(
        simulateContract(publicClient, {
          address: addresses.liquidityPool,
          abi: liquidityPoolAbi,
          functionName: "bindEngine",
          args: [bob],
          account: deployer,
        }),
        BindingForbiddenError,
        { caller: deployer },
      );
      await expectEthers(
        (await asEthersUser(s.actors.deployer)).pool.bindEngine.staticCall(bob),
        BindingForbiddenError,
        { caller: deployer },
      );
      const unbound = await new InsuranceFund__factory(s.actors.deployer).deploy(s.usd);
      const signer = await new BrowserProvider(provider as unknown as Eip1193Provider).getSigner(deployer);
      await expectEthers(
        InsuranceFund__factory.connect(await unbound.getAddress(), signer).bindEngine.staticCall(
          "0x0000000000000000000000000000000000000000",
        ),
        ZeroEngineError,
        {},
      );

      // The token's own error, bubbled up through the engine's SafeERC20 pull.
      const carol = s.actors.carol.address as Address;
      await mined(s.usd.mint(carol, 1_000n * USD));
      const carolWallet = clients.walletFor(carol);
      const needed = 600n * USD + KEEPER_RESERVE + s.global.minExecutionFee;
      const engineAddress = addresses.marginEngine;
      await expectViem(
        requestOpen(carolWallet, {
          addresses,
          marketId: ETH,
          isLong: true,
          size: WAD,
          collateral: 600n * USD,
          approval: "none",
        }),
        ERC20InsufficientAllowanceError,
        { spender: engineAddress, allowance: 0n, needed },
      );
      await expectEthers(
        (await asEthersUser(s.actors.carol)).engine.requestOpen.staticCall(
          ETH,
          true,
          WAD,
          600n * USD,
          MaxUint256,
          (await now()) + 60n,
          s.global.minExecutionFee,
        ),
        ERC20InsufficientAllowanceError,
        { spender: engineAddress, allowance: 0n, needed },
      );
    });
  });
});
