// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEngineBound} from "./IEngineBound.sol";
import {IERC7540} from "./IERC7540.sol";
import {IRiskConfig} from "./IRiskConfig.sol";

/// @title Bulkhead liquidity pool
/// @notice An asynchronous (ERC-7540) vault of the settlement asset and the counterparty of every trade. LPs request
/// deposits and redemptions; anyone executes a request once `lpDelay` has passed, at the share price that is worse for
/// the requester of the one cached at request and the one at execution; the controller then claims with `deposit` /
/// `mint` / `redeem` / `withdraw`. Nobody enters or leaves at a price they saw coming, and no position can move the
/// share price in its owner's favour: positions' claims on the pool are bounded per side by what can change hands.
/// @dev Pool equity (what shares are worth) excludes everything that belongs to someone already: pending deposits,
/// assets set aside for executed redemptions, cancelled requests and escrowed execution fees. Every capacity check of
/// the engine uses `equityAssets`, never the token balance. One request of each kind per controller (`requestId` 0).
interface ILiquidityPool is IERC7540, IEngineBound {
    // ---------------------------------------------------------------- errors

    /// @notice A request below `minRequest` (assets for a deposit, the shares' value for a redemption).
    error RequestTooSmall(uint256 assets, uint256 minimum);
    /// @notice The controller already has a pending request of this kind.
    error RequestPending(address controller);
    /// @notice The caller is neither the controller (or owner) nor its operator.
    error NotOperator(address controller, address caller);
    /// @notice The controller has no pending request of this kind.
    error NoPendingRequest(address controller);
    /// @notice The request can no longer be cancelled: its `lpDelay` has passed, so it can only be executed.
    error CancelWindowClosed(address controller, uint256 executableAt);
    /// @notice Nothing to claim for the controller (or less than asked).
    error ExceedsClaimable(address controller, uint256 requested, uint256 claimable);
    /// @notice The request cannot be executed before `lpDelay` has passed.
    error RequestNotExecutable(address controller, uint256 executableAt);
    /// @notice LP requests wait: a market with open interest has a bad or unsettled price, or is in or just after its
    /// post-outage grace period. `retryAt` is the earliest time worth retrying (zero when unknown).
    error LpExecutionPaused(uint256 retryAt);
    /// @notice ERC-7540: previews are meaningless for asynchronous flows.
    error AsyncFlow();
    /// @notice The token delivered less than was sent (fee-on-transfer tokens are not supported).
    error FeeOnTransferToken(uint256 expected, uint256 received);
    /// @notice A payout larger than the pool's equity (it never touches what belongs to LPs' requests).
    error InsufficientEquity(uint256 amount, uint256 equity);
    /// @notice Zero assets or shares.
    error ZeroAmount();

    // ---------------------------------------------------------------- events

    /// @notice A deposit request was executed: `assets` joined the pool's equity and `shares` were minted to the pool
    /// as escrow for `controller`, at `price` (assets per share, WAD). `fee` was paid to `executor`.
    event DepositExecuted(
        address indexed controller,
        address indexed executor,
        uint256 assets,
        uint256 shares,
        uint256 price,
        uint256 fee
    );
    /// @notice A redemption request was executed, whole or in part: `shares` were burnt and `assets` set aside for
    /// `controller`; `remainingShares` wait for liquidity. `fee` (paid once, with the first part) went to `executor`.
    event RedeemExecuted(
        address indexed controller,
        address indexed executor,
        uint256 shares,
        uint256 assets,
        uint256 price,
        uint256 remainingShares,
        uint256 fee
    );
    /// @notice A deposit request would have minted no shares (its assets worth less than one share unit): it was
    /// cancelled instead, and its assets wait in `claimableCancelDepositRequest`.
    event DepositRefunded(address indexed controller, uint256 assets);

    // ---------------------------------------------------------------- execution

    /// @notice Executes the pending deposit requests of `controllers` whose `lpDelay` has passed; skips the others.
    /// Anyone may call; the caller earns each request's execution fee. Reverts with {LpExecutionPaused} while LP
    /// execution waits (see {lpExecutionStatus}).
    /// @return executed How many requests were executed.
    function executeDeposits(address[] calldata controllers) external returns (uint256 executed);

    /// @notice Executes up to `maxRequests` redemption requests in request order, partially where the free liquidity
    /// (equity not reserved for open positions' profit caps) runs out; stops at the first request still inside its
    /// `lpDelay`. Anyone may call; the caller earns each request's execution fee.
    /// @return executed How many requests were executed in full.
    function executeRedeems(uint256 maxRequests) external returns (uint256 executed);

    /// @notice Pays a trader's profit or a refund out of pool equity. Engine only.
    function pay(address to, uint256 amount) external;

    // ---------------------------------------------------------------- views

    /// @notice The risk configuration the pool reads its LP parameters from.
    function RISK_CONFIG() external view returns (IRiskConfig);

    /// @notice Pool equity held as tokens: the balance less pending deposits, assets set aside for redemptions,
    /// cancelled requests and escrowed fees. What the engine's capacity checks and profit payouts use.
    function equityAssets() external view returns (uint256);

    /// @notice `equityAssets` not reserved for open positions' profit caps: what redemptions may take.
    function freeLiquidity() external view returns (uint256);

    /// @notice Whether LP requests may execute now, and if not, the earliest time worth retrying (zero if unknown).
    function lpExecutionStatus() external view returns (bool open, uint256 retryAt);

    /// @notice The share price cached at the last execution, assets per share, WAD; what a new request records.
    function cachedSharePrice() external view returns (uint256);

    /// @notice When `controller`'s pending deposit and redemption requests become executable (zero if none).
    function executableAt(address controller) external view returns (uint256 deposit, uint256 redeem);

    /// @notice Of `controllers`, which have a deposit request executable now, and whether the head of the redemption
    /// queue is executable now: one call for a keeper.
    function executableRequests(
        address[] calldata controllers
    ) external view returns (bool[] memory deposits, bool redeemHead);

    /// @notice Redemption requests waiting, in order, from the head of the queue.
    function redeemQueue() external view returns (address[] memory controllers);
}
