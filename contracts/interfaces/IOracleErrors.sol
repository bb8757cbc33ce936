// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Errors of the Chainlink oracle adapter
interface IOracleErrors {
    /// @notice The feed's last update is older than its heartbeat allows.
    error StalePrice(address feed, uint256 updatedAt, uint256 heartbeat);
    /// @notice The feed answered zero or a negative price.
    error NonPositivePrice(address feed, int256 answer);
    /// @notice The answer lies on the aggregator's `minAnswer` / `maxAnswer` band, where answers are clamped.
    error AnswerAtBound(address feed, int256 answer);
    /// @notice The L2 sequencer-uptime feed reports the sequencer down.
    error SequencerDown(address sequencerFeed);
    /// @notice The feed gave no usable price.
    error NoPrice(address feed);
}
