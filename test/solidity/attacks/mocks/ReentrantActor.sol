// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {ITokenHooks} from "./HookToken.sol";

/// @title Re-entering trader, LP and keeper
/// @notice Acts on Bulkhead as its owner (the test) tells it; once armed, its next token hook of the chosen kind makes
/// one call of the owner's choosing, re-entering whatever operation is moving its tokens. It can also refuse every
/// incoming transfer, as a blocklisted address or an ERC-777 recipient that rejects tokens does.
contract ReentrantActor is ITokenHooks {
    enum Trigger {
        None,
        OnSend,
        OnReceive
    }

    address public immutable OWNER;
    IERC20 public immutable TOKEN;

    Trigger public trigger;
    address public reentryTarget;
    bytes public reentryCall;
    /// @dev If set, a failed re-entry is recorded and the outer operation goes on; otherwise its revert bubbles up.
    bool public swallowRevert;

    /// @dev While set, every transfer to this contract reverts.
    bool public refusing;

    bool public reentered;
    bool public reentrySucceeded;
    bytes public reentryRevertData;

    constructor(IERC20 token) {
        OWNER = msg.sender;
        TOKEN = token;
    }

    /// @notice Calls `target` as this contract, bubbling any revert.
    function execute(address target, bytes calldata data) external returns (bytes memory result) {
        require(msg.sender == OWNER, "not owner");
        bool ok;
        (ok, result) = target.call(data);
        if (!ok) _bubble(result);
    }

    /// @notice Makes the next hook of kind `trigger_` call `target` with `data`, once.
    function arm(Trigger trigger_, address target, bytes calldata data, bool swallow) external {
        require(msg.sender == OWNER, "not owner");
        trigger = trigger_;
        reentryTarget = target;
        reentryCall = data;
        swallowRevert = swallow;
    }

    /// @notice Refuses (or accepts again) every incoming transfer.
    function setRefusing(bool refusing_) external {
        require(msg.sender == OWNER, "not owner");
        refusing = refusing_;
    }

    function tokensToSend(address, address, address, uint256) external {
        if (msg.sender == address(TOKEN) && trigger == Trigger.OnSend) _reenter();
    }

    function tokensReceived(address, address, address, uint256) external {
        if (msg.sender != address(TOKEN)) return;
        require(!refusing, "refused");
        if (trigger == Trigger.OnReceive) _reenter();
    }

    function _reenter() internal {
        trigger = Trigger.None;
        reentered = true;
        (bool ok, bytes memory result) = reentryTarget.call(reentryCall);
        if (ok) {
            reentrySucceeded = true;
        } else {
            reentryRevertData = result;
            if (!swallowRevert) _bubble(result);
        }
    }

    function _bubble(bytes memory data) internal pure {
        assembly ("memory-safe") {
            revert(add(data, 0x20), mload(data))
        }
    }
}
