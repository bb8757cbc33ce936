// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

/// @title ERC-7575: the vault's share token (here the vault itself)
interface IERC7575 {
    /// @notice The ERC-20 share token of the vault.
    function share() external view returns (address);
}

/// @title ERC-7540 operators (interface id 0xe3bc4e65)
interface IERC7540Operator {
    /// @notice `controller` has set `approved` for `operator`.
    event OperatorSet(address indexed controller, address indexed operator, bool approved);

    /// @notice Grants or revokes `operator` the right to manage the caller's requests and claims.
    function setOperator(address operator, bool approved) external returns (bool);

    /// @notice Whether `operator` manages `controller`'s requests and claims.
    function isOperator(address controller, address operator) external view returns (bool status);
}

/// @title ERC-7540 asynchronous deposits (interface id 0xce3bbe50)
interface IERC7540Deposit {
    /// @notice `owner` locked `assets` for a deposit request that `controller` controls.
    event DepositRequest(
        address indexed controller,
        address indexed owner,
        uint256 indexed requestId,
        address sender,
        uint256 assets
    );

    /// @notice Locks `assets` of `owner` (the caller, or an account that made the caller its operator) for a deposit
    /// that `controller` will claim.
    function requestDeposit(uint256 assets, address controller, address owner) external returns (uint256 requestId);

    /// @notice Assets of `controller`'s deposit request that have not been executed yet.
    function pendingDepositRequest(uint256 requestId, address controller) external view returns (uint256 assets);

    /// @notice Assets of `controller`'s executed deposits that are waiting to be claimed as shares.
    function claimableDepositRequest(uint256 requestId, address controller) external view returns (uint256 assets);

    /// @notice Claims the shares of `assets` of `controller`'s executed deposits to `receiver`.
    function deposit(uint256 assets, address receiver, address controller) external returns (uint256 shares);

    /// @notice Claims `shares` of `controller`'s executed deposits to `receiver`.
    function mint(uint256 shares, address receiver, address controller) external returns (uint256 assets);
}

/// @title ERC-7540 asynchronous redemptions (interface id 0x620ee8e4)
interface IERC7540Redeem {
    /// @notice `sender` locked `shares` of `owner` for a redemption that `controller` controls.
    event RedeemRequest(
        address indexed controller,
        address indexed owner,
        uint256 indexed requestId,
        address sender,
        uint256 shares
    );

    /// @notice Locks `shares` of `owner` (the caller, an account that made the caller its operator, or one that gave
    /// the caller an ERC-20 allowance) for a redemption that `controller` will claim.
    function requestRedeem(uint256 shares, address controller, address owner) external returns (uint256 requestId);

    /// @notice Shares of `controller`'s redemption request that have not been executed yet.
    function pendingRedeemRequest(uint256 requestId, address controller) external view returns (uint256 shares);

    /// @notice Shares of `controller`'s executed redemptions that are waiting to be claimed as assets.
    function claimableRedeemRequest(uint256 requestId, address controller) external view returns (uint256 shares);
}

/// @title ERC-7887 cancellation of deposit requests (interface id 0x8bf840e3)
interface IERC7887Deposit {
    event CancelDepositRequest(address indexed controller, uint256 indexed requestId, address sender);
    event CancelDepositClaim(
        address indexed controller,
        address indexed receiver,
        uint256 indexed requestId,
        address sender,
        uint256 assets
    );

    function cancelDepositRequest(uint256 requestId, address controller) external;

    function pendingCancelDepositRequest(uint256 requestId, address controller) external view returns (bool isPending);

    function claimableCancelDepositRequest(
        uint256 requestId,
        address controller
    ) external view returns (uint256 assets);

    function claimCancelDepositRequest(
        uint256 requestId,
        address receiver,
        address controller
    ) external returns (uint256 assets);
}

/// @title ERC-7887 cancellation of redemption requests (interface id 0xe76cffc7)
interface IERC7887Redeem {
    event CancelRedeemRequest(address indexed controller, uint256 indexed requestId, address sender);
    event CancelRedeemClaim(
        address indexed controller,
        address indexed receiver,
        uint256 indexed requestId,
        address sender,
        uint256 shares
    );

    function cancelRedeemRequest(uint256 requestId, address controller) external;

    function pendingCancelRedeemRequest(uint256 requestId, address controller) external view returns (bool isPending);

    function claimableCancelRedeemRequest(uint256 requestId, address controller) external view returns (uint256 shares);

    function claimCancelRedeemRequest(
        uint256 requestId,
        address receiver,
        address owner
    ) external returns (uint256 shares);
}

/// @title A fully asynchronous ERC-7540 vault with ERC-7887 cancellation
interface IERC7540 is
    IERC4626,
    IERC165,
    IERC7575,
    IERC7540Operator,
    IERC7540Deposit,
    IERC7540Redeem,
    IERC7887Deposit,
    IERC7887Redeem
{}
