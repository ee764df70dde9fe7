// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title WithdrawalRequests
/// @notice Execution-layer triggered exits and withdrawals through the EIP-7002 predeploy.
/// @dev The predeploy's fee rises exponentially with the queue's excess, so read it right before
/// sending and cap it. The request is queued in this block and dequeued by the system call at the
/// end of the block (at most 16 per block, the rest carried over). The consensus layer ignores a
/// request whose source address is not the validator's execution address: for 0x01/0x02
/// credentials, the last 20 bytes. The fee is not refunded in any case.
library WithdrawalRequests {
    /// @dev WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS (EIP-7002).
    address internal constant PREDEPLOY = 0x00000961Ef480Eb55e80D19ad83579A64c007002;
    /// @dev The amount that asks for a full exit (EIP-7002, FULL_EXIT_REQUEST_AMOUNT).
    uint64 internal constant FULL_EXIT = 0;
    uint256 private constant PUBKEY_LENGTH = 48;

    /// @notice The predeploy did not answer the fee query with one word.
    error WithdrawalFeeUnavailable();
    /// @notice The predeploy's fee is above the caller's maximum.
    error WithdrawalFeeAboveMax(uint256 fee, uint256 maxFee);
    /// @notice The public key is not 48 bytes long.
    error WithdrawalPubkeyLength(uint256 length);
    /// @notice The predeploy refused the request.
    error WithdrawalRequestFailed();

    /// @dev The fee in wei that a request sent in this block must pay: an empty static call.
    function fee() internal view returns (uint256 amount) {
        bool ok;
        assembly ("memory-safe") {
            ok := staticcall(gas(), PREDEPLOY, 0x00, 0x00, 0x00, 0x20)
            ok := and(ok, eq(returndatasize(), 0x20))
            amount := mload(0x00)
        }
        if (!ok) revert WithdrawalFeeUnavailable();
    }

    /// @dev Reads the fee, reverts above `maxFee`, and queues a request for `amountGwei` (0 for a
    /// full exit) paying exactly the fee from this contract's balance. Returns the fee paid.
    function request(bytes memory pubkey, uint64 amountGwei, uint256 maxFee) internal returns (uint256 paid) {
        if (pubkey.length != PUBKEY_LENGTH) revert WithdrawalPubkeyLength(pubkey.length);
        paid = fee();
        if (paid > maxFee) revert WithdrawalFeeAboveMax(paid, maxFee);
        // Input: validator_pubkey (48 bytes) ‖ amount (uint64, big-endian).
        (bool ok,) = PREDEPLOY.call{value: paid}(abi.encodePacked(pubkey, amountGwei));
        if (!ok) revert WithdrawalRequestFailed();
    }
}
