// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {EngineBound} from "./EngineBound.sol";
import {
    IERC7540Deposit,
    IERC7540Operator,
    IERC7540Redeem,
    IERC7575,
    IERC7887Deposit,
    IERC7887Redeem
} from "./interfaces/IERC7540.sol";
import {ILiquidityPool} from "./interfaces/ILiquidityPool.sol";
import {IMarginEngine} from "./interfaces/IMarginEngine.sol";
import {IRiskConfig, LpParams} from "./interfaces/IRiskConfig.sol";
import {PoolValuation} from "./libraries/PoolValuation.sol";

/// @title Bulkhead liquidity pool
/// @notice See {ILiquidityPool}. Shares carry 6 more decimals than the asset (virtual shares and assets), which makes
/// a donation to an empty pool cost the donor a million times what it could take; a deposit that would still mint no
/// shares is refunded, never executed.
contract LiquidityPool is ILiquidityPool, ERC20, EngineBound, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @dev 10^6 virtual shares against 1 virtual asset unit.
    uint256 internal constant VIRTUAL_SHARES = 1e6;
    uint256 internal constant WAD = 1e18;
    /// @dev ERC-7575's interface id (the ERC-4626 functions without ERC-20's, plus `share`).
    bytes4 internal constant ERC7575_INTERFACE_ID = 0x2f0a18c5;

    IERC20 internal immutable _ASSET;
    /// @inheritdoc ILiquidityPool
    IRiskConfig public immutable RISK_CONFIG;
    /// @dev 10^(18 − asset decimals): USD WAD per asset unit.
    uint256 internal immutable SCALE;
    uint8 internal immutable _DECIMALS;

    /// @dev One controller's requests and claims. Prices are assets per share, WAD.
    struct Account {
        // Pending deposit.
        uint128 depositAssets;
        uint40 depositExecutableAt;
        uint80 depositFee;
        // Pending redemption.
        uint128 redeemShares;
        uint40 redeemExecutableAt;
        uint80 redeemFee;
        // Share prices cached when the requests were made.
        uint128 depositPrice;
        uint128 redeemPrice;
        // Executed, waiting to be claimed.
        uint128 claimableDepositAssets;
        uint128 claimableDepositShares;
        uint128 claimableRedeemAssets;
        uint128 claimableRedeemShares;
        // Cancelled, waiting to be claimed.
        uint128 cancelledDepositAssets;
        uint128 cancelledRedeemShares;
    }

    /// @dev A redemption request in the queue; stale once its controller's request is executed or cancelled.
    struct QueueEntry {
        address controller;
        uint40 executableAt;
    }

    mapping(address controller => Account) internal _accounts;
    mapping(address controller => mapping(address operator => bool)) internal _operators;
    mapping(uint256 index => QueueEntry) internal _queue;
    uint64 internal _queueHead;
    uint64 internal _queueTail;

    /// @dev Assets of pending deposit requests.
    uint128 internal _pendingDeposits;
    /// @dev Assets set aside for executed redemptions and cancelled deposits, not yet claimed.
    uint128 internal _setAside;

    /// @inheritdoc ILiquidityPool
    uint256 public cachedSharePrice;

    /// @dev Each market's price at the last execution: what the valuation falls back on when a feed cannot be read.
    mapping(uint256 marketId => uint256 price) internal _lastGoodPrice;

    constructor(
        IERC20 asset_,
        IRiskConfig riskConfig,
        string memory name_,
        string memory symbol_
    ) ERC20(name_, symbol_) {
        uint8 decimals_ = IERC20Metadata(address(asset_)).decimals();
        _ASSET = asset_;
        RISK_CONFIG = riskConfig;
        SCALE = 10 ** (18 - decimals_);
        _DECIMALS = decimals_ + 6;
        cachedSharePrice = _price(0, 0, Math.Rounding.Floor);
    }

    // ================================================================ requests

    /// @inheritdoc IERC7540Deposit
    function requestDeposit(
        uint256 assets,
        address controller,
        address owner
    ) external nonReentrant returns (uint256 requestId) {
        _checkOperator(owner);
        LpParams memory lp = RISK_CONFIG.lpParams();
        if (assets < lp.minRequest) revert RequestTooSmall(assets, lp.minRequest);
        Account storage a = _accounts[controller];
        if (a.depositAssets != 0) revert RequestPending(controller);

        a.depositAssets = assets.toUint128();
        a.depositExecutableAt = uint40(block.timestamp + lp.lpDelay);
        a.depositFee = lp.executionFee;
        a.depositPrice = uint128(cachedSharePrice);
        _pendingDeposits += uint128(assets);
        emit DepositRequest(controller, owner, 0, msg.sender, assets);

        uint256 before = _ASSET.balanceOf(address(this));
        _ASSET.safeTransferFrom(owner, address(this), assets);
        uint256 received = _ASSET.balanceOf(address(this)) - before;
        if (received != assets) revert FeeOnTransferToken(assets, received);
        return 0;
    }

    /// @inheritdoc IERC7540Redeem
    function requestRedeem(
        uint256 shares,
        address controller,
        address owner
    ) external nonReentrant returns (uint256 requestId) {
        if (owner != msg.sender && !_operators[owner][msg.sender]) _spendAllowance(owner, msg.sender, shares);
        LpParams memory lp = RISK_CONFIG.lpParams();
        uint256 price = cachedSharePrice;
        uint256 value = Math.mulDiv(shares, price, WAD);
        if (value < lp.minRequest) revert RequestTooSmall(value, lp.minRequest);
        Account storage a = _accounts[controller];
        if (a.redeemShares != 0) revert RequestPending(controller);

        uint40 redeemableAt = uint40(block.timestamp + lp.lpDelay);
        a.redeemShares = shares.toUint128();
        a.redeemExecutableAt = redeemableAt;
        a.redeemFee = lp.executionFee;
        a.redeemPrice = uint128(price);
        _queue[_queueTail++] = QueueEntry(controller, redeemableAt);
        emit RedeemRequest(controller, owner, 0, msg.sender, shares);

        _transfer(owner, address(this), shares);
        return 0;
    }

    /// @inheritdoc IERC7887Deposit
    function cancelDepositRequest(uint256, address controller) external nonReentrant {
        _checkOperator(controller);
        Account storage a = _accounts[controller];
        uint256 assets = a.depositAssets;
        if (assets == 0) revert NoPendingRequest(controller);
        if (block.timestamp >= a.depositExecutableAt) revert CancelWindowClosed(controller, a.depositExecutableAt);
        _refundDeposit(a, assets);
        emit CancelDepositRequest(controller, 0, msg.sender);
    }

    /// @inheritdoc IERC7887Redeem
    function cancelRedeemRequest(uint256, address controller) external nonReentrant {
        _checkOperator(controller);
        Account storage a = _accounts[controller];
        uint256 shares = a.redeemShares;
        if (shares == 0) revert NoPendingRequest(controller);
        if (block.timestamp >= a.redeemExecutableAt) revert CancelWindowClosed(controller, a.redeemExecutableAt);
        // The queue entry goes stale: its controller has no request with that time any more.
        a.redeemShares = 0;
        a.redeemExecutableAt = 0;
        a.redeemFee = 0;
        a.cancelledRedeemShares += uint128(shares);
        emit CancelRedeemRequest(controller, 0, msg.sender);
    }

    /// @inheritdoc IERC7887Deposit
    function claimCancelDepositRequest(
        uint256,
        address receiver,
        address controller
    ) external nonReentrant returns (uint256 assets) {
        _checkOperator(controller);
        Account storage a = _accounts[controller];
        assets = a.cancelledDepositAssets;
        if (assets == 0) revert ExceedsClaimable(controller, 0, 0);
        a.cancelledDepositAssets = 0;
        _setAside -= uint128(assets);
        emit CancelDepositClaim(controller, receiver, 0, msg.sender, assets);
        _ASSET.safeTransfer(receiver, assets);
    }

    /// @inheritdoc IERC7887Redeem
    function claimCancelRedeemRequest(
        uint256,
        address receiver,
        address owner
    ) external nonReentrant returns (uint256 shares) {
        _checkOperator(owner);
        Account storage a = _accounts[owner];
        shares = a.cancelledRedeemShares;
        if (shares == 0) revert ExceedsClaimable(owner, 0, 0);
        a.cancelledRedeemShares = 0;
        emit CancelRedeemClaim(owner, receiver, 0, msg.sender, shares);
        _transfer(address(this), receiver, shares);
    }

    // ================================================================ execution

    /// @inheritdoc ILiquidityPool
    function executeDeposits(address[] calldata controllers) external nonReentrant returns (uint256 executed) {
        PoolValuation.Market[] memory markets = _requireExecutable();
        uint256 assetsNow = _totalAssets(markets);
        uint256 supply = totalSupply();
        uint256 fees;
        for (uint256 i; i < controllers.length; ++i) {
            address controller = controllers[i];
            Account storage a = _accounts[controller];
            uint256 assets = a.depositAssets;
            if (assets == 0 || block.timestamp < a.depositExecutableAt) continue;
            uint256 fee = a.depositFee;
            uint256 net = assets - fee;
            // Worse for the depositor: the higher of the price at request and the price now (rounded up).
            uint256 price = Math.max(a.depositPrice, _price(assetsNow, supply, Math.Rounding.Ceil));
            uint256 shares = Math.mulDiv(net, WAD, price);
            if (shares == 0) {
                _refundDeposit(a, assets);
                emit DepositRefunded(controller, assets);
                continue;
            }
            a.depositAssets = 0;
            a.depositExecutableAt = 0;
            a.depositFee = 0;
            a.claimableDepositAssets += net.toUint128();
            a.claimableDepositShares += shares.toUint128();
            _pendingDeposits -= uint128(assets);
            assetsNow += net;
            supply += shares;
            fees += fee;
            ++executed;
            _mint(address(this), shares);
            emit DepositExecuted(controller, msg.sender, net, shares, price, fee);
        }
        _settleExecution(assetsNow, supply, fees);
    }

    /// @inheritdoc ILiquidityPool
    function executeRedeems(uint256 maxRequests) external nonReentrant returns (uint256 executed) {
        PoolValuation.Market[] memory markets = _requireExecutable();
        uint256 assetsNow = _totalAssets(markets);
        uint256 supply = totalSupply();
        uint256 liquidity = freeLiquidity();
        uint256 fees;
        uint256 head = _queueHead;
        uint256 tail = _queueTail;
        for (; head < tail && executed < maxRequests; ++head) {
            QueueEntry memory entry = _queue[head];
            Account storage a = _accounts[entry.controller];
            // Stale: executed or cancelled since.
            if (a.redeemShares == 0 || a.redeemExecutableAt != entry.executableAt) {
                delete _queue[head];
                continue;
            }
            // In request order: nothing behind a request still in its delay may go first.
            if (block.timestamp < entry.executableAt) break;
            // Worse for the redeemer: the lower of the price at request and the price now (rounded down).
            uint256 price = Math.min(a.redeemPrice, _price(assetsNow, supply, Math.Rounding.Floor));
            uint256 shares = a.redeemShares;
            uint256 owed = Math.mulDiv(shares, price, WAD);
            if (owed > liquidity) {
                // Partially, against what is free; the rest keeps its place at the head of the queue.
                shares = Math.mulDiv(liquidity, WAD, price);
                owed = Math.mulDiv(shares, price, WAD);
                if (shares == 0) break;
            }
            uint256 fee = Math.min(a.redeemFee, owed);
            uint256 remaining = a.redeemShares - shares;
            a.redeemShares = remaining.toUint128();
            a.redeemFee = 0;
            a.claimableRedeemAssets += (owed - fee).toUint128();
            a.claimableRedeemShares += shares.toUint128();
            _setAside += (owed - fee).toUint128();
            liquidity -= owed;
            assetsNow -= Math.min(owed, assetsNow);
            supply -= shares;
            fees += fee;
            _burn(address(this), shares);
            emit RedeemExecuted(entry.controller, msg.sender, shares, owed - fee, price, remaining, fee);
            if (remaining != 0) break;
            a.redeemExecutableAt = 0;
            delete _queue[head];
            ++executed;
        }
        _queueHead = uint64(head);
        _settleExecution(assetsNow, supply, fees);
    }

    /// @inheritdoc ILiquidityPool
    function pay(address to, uint256 amount) external onlyEngine {
        uint256 equity = equityAssets();
        if (amount > equity) revert InsufficientEquity(amount, equity);
        _ASSET.safeTransfer(to, amount);
    }

    // ================================================================ claims

    /// @inheritdoc IERC7540Deposit
    function deposit(uint256 assets, address receiver, address controller) public nonReentrant returns (uint256) {
        _checkOperator(controller);
        Account storage a = _accounts[controller];
        (uint256 claimAssets, uint256 claimShares) = (a.claimableDepositAssets, a.claimableDepositShares);
        if (assets == 0) revert ZeroAmount();
        if (assets > claimAssets) revert ExceedsClaimable(controller, assets, claimAssets);
        // Rounded down: the controller gets at most their shares' share.
        uint256 shares = Math.mulDiv(assets, claimShares, claimAssets);
        _claimDeposit(a, controller, receiver, assets, shares);
        return shares;
    }

    /// @inheritdoc IERC7540Deposit
    function mint(uint256 shares, address receiver, address controller) public nonReentrant returns (uint256) {
        _checkOperator(controller);
        Account storage a = _accounts[controller];
        (uint256 claimAssets, uint256 claimShares) = (a.claimableDepositAssets, a.claimableDepositShares);
        if (shares == 0) revert ZeroAmount();
        if (shares > claimShares) revert ExceedsClaimable(controller, shares, claimShares);
        // Rounded up: the claim uses at least the assets its shares were bought with.
        uint256 assets = Math.mulDiv(shares, claimAssets, claimShares, Math.Rounding.Ceil);
        _claimDeposit(a, controller, receiver, assets, shares);
        return assets;
    }

    /// @inheritdoc IERC4626
    function deposit(uint256 assets, address receiver) external returns (uint256) {
        return deposit(assets, receiver, msg.sender);
    }

    /// @inheritdoc IERC4626
    function mint(uint256 shares, address receiver) external returns (uint256) {
        return mint(shares, receiver, msg.sender);
    }

    /// @inheritdoc IERC4626
    /// @dev ERC-7540: `controller` (here `owner`) is the request's controller, not a share owner.
    function redeem(uint256 shares, address receiver, address controller) external nonReentrant returns (uint256) {
        _checkOperator(controller);
        Account storage a = _accounts[controller];
        (uint256 claimAssets, uint256 claimShares) = (a.claimableRedeemAssets, a.claimableRedeemShares);
        if (shares == 0) revert ZeroAmount();
        if (shares > claimShares) revert ExceedsClaimable(controller, shares, claimShares);
        // Rounded down: the controller is paid at most their shares' share.
        uint256 assets = Math.mulDiv(shares, claimAssets, claimShares);
        _claimRedeem(a, controller, receiver, assets, shares);
        return assets;
    }

    /// @inheritdoc IERC4626
    /// @dev ERC-7540: `controller` (here `owner`) is the request's controller, not a share owner.
    function withdraw(uint256 assets, address receiver, address controller) external nonReentrant returns (uint256) {
        _checkOperator(controller);
        Account storage a = _accounts[controller];
        (uint256 claimAssets, uint256 claimShares) = (a.claimableRedeemAssets, a.claimableRedeemShares);
        if (assets == 0) revert ZeroAmount();
        if (assets > claimAssets) revert ExceedsClaimable(controller, assets, claimAssets);
        // Rounded up: the claim uses at least the shares its assets were redeemed from.
        uint256 shares = Math.mulDiv(assets, claimShares, claimAssets, Math.Rounding.Ceil);
        _claimRedeem(a, controller, receiver, assets, shares);
        return shares;
    }

    /// @inheritdoc IERC7540Operator
    function setOperator(address operator, bool approved) external returns (bool) {
        _operators[msg.sender][operator] = approved;
        emit OperatorSet(msg.sender, operator, approved);
        return true;
    }

    // ================================================================ views: ERC-4626 / ERC-7540

    /// @inheritdoc IERC4626
    function asset() external view returns (address) {
        return address(_ASSET);
    }

    /// @inheritdoc IERC7575
    function share() external view returns (address) {
        return address(this);
    }

    /// @inheritdoc ERC20
    function decimals() public view override(ERC20, IERC20Metadata) returns (uint8) {
        return _DECIMALS;
    }

    /// @inheritdoc IERC4626
    /// @dev Pool equity valued with the positions' claims: never reverts (a market whose feed cannot be read is valued
    /// at its price at the last execution).
    function totalAssets() public view returns (uint256) {
        return _totalAssets(PoolValuation.markets(IMarginEngine(engine()), RISK_CONFIG, _lastGoodPriceOf));
    }

    /// @inheritdoc IERC4626
    function convertToShares(uint256 assets) external view returns (uint256) {
        return Math.mulDiv(assets, totalSupply() + VIRTUAL_SHARES, totalAssets() + 1);
    }

    /// @inheritdoc IERC4626
    function convertToAssets(uint256 shares) external view returns (uint256) {
        return Math.mulDiv(shares, totalAssets() + 1, totalSupply() + VIRTUAL_SHARES);
    }

    /// @inheritdoc IERC4626
    function maxDeposit(address controller) external view returns (uint256) {
        return _accounts[controller].claimableDepositAssets;
    }

    /// @inheritdoc IERC4626
    function maxMint(address controller) external view returns (uint256) {
        return _accounts[controller].claimableDepositShares;
    }

    /// @inheritdoc IERC4626
    function maxWithdraw(address controller) external view returns (uint256) {
        return _accounts[controller].claimableRedeemAssets;
    }

    /// @inheritdoc IERC4626
    function maxRedeem(address controller) external view returns (uint256) {
        return _accounts[controller].claimableRedeemShares;
    }

    /// @inheritdoc IERC4626
    function previewDeposit(uint256) external pure returns (uint256) {
        revert AsyncFlow();
    }

    /// @inheritdoc IERC4626
    function previewMint(uint256) external pure returns (uint256) {
        revert AsyncFlow();
    }

    /// @inheritdoc IERC4626
    function previewWithdraw(uint256) external pure returns (uint256) {
        revert AsyncFlow();
    }

    /// @inheritdoc IERC4626
    function previewRedeem(uint256) external pure returns (uint256) {
        revert AsyncFlow();
    }

    /// @inheritdoc IERC7540Deposit
    function pendingDepositRequest(uint256, address controller) external view returns (uint256) {
        return _accounts[controller].depositAssets;
    }

    /// @inheritdoc IERC7540Deposit
    function claimableDepositRequest(uint256, address controller) external view returns (uint256) {
        return _accounts[controller].claimableDepositAssets;
    }

    /// @inheritdoc IERC7540Redeem
    function pendingRedeemRequest(uint256, address controller) external view returns (uint256) {
        return _accounts[controller].redeemShares;
    }

    /// @inheritdoc IERC7540Redeem
    function claimableRedeemRequest(uint256, address controller) external view returns (uint256) {
        return _accounts[controller].claimableRedeemShares;
    }

    /// @inheritdoc IERC7887Deposit
    /// @dev Cancellation is synchronous: a cancelled request is claimable at once, never pending.
    function pendingCancelDepositRequest(uint256, address) external pure returns (bool) {
        return false;
    }

    /// @inheritdoc IERC7887Deposit
    function claimableCancelDepositRequest(uint256, address controller) external view returns (uint256) {
        return _accounts[controller].cancelledDepositAssets;
    }

    /// @inheritdoc IERC7887Redeem
    /// @dev Cancellation is synchronous: a cancelled request is claimable at once, never pending.
    function pendingCancelRedeemRequest(uint256, address) external pure returns (bool) {
        return false;
    }

    /// @inheritdoc IERC7887Redeem
    function claimableCancelRedeemRequest(uint256, address controller) external view returns (uint256) {
        return _accounts[controller].cancelledRedeemShares;
    }

    /// @inheritdoc IERC7540Operator
    function isOperator(address controller, address operator) external view returns (bool) {
        return _operators[controller][operator];
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return
            interfaceId == type(IERC165).interfaceId ||
            interfaceId == type(IERC7540Operator).interfaceId ||
            interfaceId == type(IERC7540Deposit).interfaceId ||
            interfaceId == type(IERC7540Redeem).interfaceId ||
            interfaceId == type(IERC7887Deposit).interfaceId ||
            interfaceId == type(IERC7887Redeem).interfaceId ||
            interfaceId == ERC7575_INTERFACE_ID;
    }

    // ================================================================ views: Bulkhead

    /// @inheritdoc ILiquidityPool
    function equityAssets() public view returns (uint256) {
        uint256 balance = _ASSET.balanceOf(address(this));
        uint256 outside = uint256(_pendingDeposits) + _setAside;
        return balance > outside ? balance - outside : 0;
    }

    /// @inheritdoc ILiquidityPool
    function freeLiquidity() public view returns (uint256) {
        uint256 equity = equityAssets();
        address engine_ = engine();
        uint256 reserved = engine_ == address(0) ? 0 : IMarginEngine(engine_).totalReserved();
        return equity > reserved ? equity - reserved : 0;
    }

    /// @inheritdoc ILiquidityPool
    function lpExecutionStatus() external view returns (bool open, uint256 retryAt) {
        return PoolValuation.executionStatus(IMarginEngine(engine()), RISK_CONFIG);
    }

    /// @inheritdoc ILiquidityPool
    function executableAt(address controller) external view returns (uint256 deposit_, uint256 redeem_) {
        Account storage a = _accounts[controller];
        return (a.depositExecutableAt, a.redeemExecutableAt);
    }

    /// @inheritdoc ILiquidityPool
    function executableRequests(
        address[] calldata controllers
    ) external view returns (bool[] memory deposits, bool redeemHead) {
        deposits = new bool[](controllers.length);
        (bool open, ) = PoolValuation.executionStatus(IMarginEngine(engine()), RISK_CONFIG);
        if (!open) return (deposits, false);
        for (uint256 i; i < controllers.length; ++i) {
            Account storage a = _accounts[controllers[i]];
            deposits[i] = a.depositAssets != 0 && a.depositExecutableAt <= block.timestamp;
        }
        for (uint256 i = _queueHead; i < _queueTail; ++i) {
            QueueEntry memory entry = _queue[i];
            Account storage a = _accounts[entry.controller];
            if (a.redeemShares == 0 || a.redeemExecutableAt != entry.executableAt) continue;
            redeemHead = entry.executableAt <= block.timestamp && freeLiquidity() != 0;
            break;
        }
    }

    /// @inheritdoc ILiquidityPool
    function redeemQueue() external view returns (address[] memory controllers) {
        uint256 head = _queueHead;
        uint256 tail = _queueTail;
        controllers = new address[](tail - head);
        uint256 n;
        for (uint256 i = head; i < tail; ++i) {
            QueueEntry memory entry = _queue[i];
            Account storage a = _accounts[entry.controller];
            if (a.redeemShares == 0 || a.redeemExecutableAt != entry.executableAt) continue;
            controllers[n++] = entry.controller;
        }
        // Trim the stale entries' slots.
        assembly ("memory-safe") {
            mstore(controllers, n)
        }
    }

    // ================================================================ internals

    function _checkOperator(address controller) internal view {
        if (controller != msg.sender && !_operators[controller][msg.sender]) revert NotOperator(controller, msg.sender);
    }

    /// @dev Moves a pending deposit to its controller's cancelled (claimable) assets, fee included.
    function _refundDeposit(Account storage a, uint256 assets) internal {
        a.depositAssets = 0;
        a.depositExecutableAt = 0;
        a.depositFee = 0;
        a.cancelledDepositAssets += uint128(assets);
        _pendingDeposits -= uint128(assets);
        _setAside += uint128(assets);
    }

    function _claimDeposit(
        Account storage a,
        address controller,
        address receiver,
        uint256 assets,
        uint256 shares
    ) internal {
        a.claimableDepositAssets -= uint128(assets);
        a.claimableDepositShares -= uint128(shares);
        emit Deposit(controller, receiver, assets, shares);
        _transfer(address(this), receiver, shares);
    }

    function _claimRedeem(
        Account storage a,
        address controller,
        address receiver,
        uint256 assets,
        uint256 shares
    ) internal {
        a.claimableRedeemAssets -= uint128(assets);
        a.claimableRedeemShares -= uint128(shares);
        _setAside -= uint128(assets);
        emit Withdraw(msg.sender, receiver, controller, assets, shares);
        _ASSET.safeTransfer(receiver, assets);
    }

    /// @dev Reverts unless LP requests may execute now; returns the markets' valuation inputs (all fresh) and records
    /// their prices as the last good ones.
    function _requireExecutable() internal returns (PoolValuation.Market[] memory markets) {
        IMarginEngine engine_ = IMarginEngine(engine());
        (bool open, uint256 retryAt) = PoolValuation.executionStatus(engine_, RISK_CONFIG);
        if (!open) revert LpExecutionPaused(retryAt);
        markets = PoolValuation.markets(engine_, RISK_CONFIG, _lastGoodPriceOf);
        for (uint256 i; i < markets.length; ++i) {
            if (markets[i].price != 0 && _lastGoodPrice[i] != markets[i].price) _lastGoodPrice[i] = markets[i].price;
        }
    }

    function _settleExecution(uint256 assetsNow, uint256 supply, uint256 fees) internal {
        cachedSharePrice = _price(assetsNow, supply, Math.Rounding.Floor);
        if (fees != 0) _ASSET.safeTransfer(msg.sender, fees);
    }

    /// @dev Pool value: equity held as tokens less the positions' net claim (never below zero).
    function _totalAssets(PoolValuation.Market[] memory markets) internal view returns (uint256) {
        int256 claim = PoolValuation.tradersClaim(markets, SCALE);
        uint256 equity = equityAssets();
        if (claim <= 0) return equity + uint256(-claim);
        return equity > uint256(claim) ? equity - uint256(claim) : 0;
    }

    /// @dev Assets per share, WAD, with the virtual shares and asset.
    function _price(uint256 assets, uint256 supply, Math.Rounding rounding) internal pure returns (uint256) {
        return Math.mulDiv(assets + 1, WAD, supply + VIRTUAL_SHARES, rounding);
    }

    function _lastGoodPriceOf(uint256 marketId) internal view returns (uint256) {
        return _lastGoodPrice[marketId];
    }
}
