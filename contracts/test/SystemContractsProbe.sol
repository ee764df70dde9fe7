// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {BeaconRoots} from "../src/lib/BeaconRoots.sol";
import {WithdrawalRequests} from "../src/lib/WithdrawalRequests.sol";

/// @title SystemContractsProbe
/// @notice Test-only: exposes the EIP-4788 and EIP-7002 libraries so the harness can drive them
/// from a contract, the way the pool will.
contract SystemContractsProbe {
    /// @notice A withdrawal request was queued with the predeploy.
    event WithdrawalRequested(bytes pubkey, uint64 amountGwei, uint256 fee);

    /// @notice Sending the unused part of `msg.value` back failed.
    error RefundFailed();

    /// @notice The parent beacon block root for the block at `timestamp` (EIP-4788).
    /// @param timestamp An execution block's timestamp.
    /// @return The root; reverts with `BeaconRootUnavailable` if there is none.
    function beaconRoot(uint256 timestamp) external view returns (bytes32) {
        return BeaconRoots.get(timestamp);
    }

    /// @notice The EIP-7002 fee for a request sent in this block.
    /// @return The fee in wei.
    function withdrawalFee() external view returns (uint256) {
        return WithdrawalRequests.fee();
    }

    /// @notice Queues an EIP-7002 request from this contract, paying the current fee out of
    /// `msg.value` (at most `maxFee`) and refunding the rest to the caller.
    /// @param pubkey The validator's public key (48 bytes).
    /// @param amountGwei The amount to withdraw; 0 asks for a full exit.
    /// @param maxFee The highest fee the caller accepts.
    /// @return fee The fee paid.
    function requestWithdrawal(bytes calldata pubkey, uint64 amountGwei, uint256 maxFee)
        external
        payable
        returns (uint256 fee)
    {
        uint256 cap = maxFee < msg.value ? maxFee : msg.value;
        fee = WithdrawalRequests.request(pubkey, amountGwei, cap);
        emit WithdrawalRequested(pubkey, amountGwei, fee);
        uint256 refund = msg.value - fee;
        if (refund != 0) {
            (bool ok,) = msg.sender.call{value: refund}("");
            if (!ok) revert RefundFailed();
        }
    }
}
