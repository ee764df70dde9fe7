// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title BeaconRoots
/// @notice Reads parent beacon block roots from the EIP-4788 system contract.
/// @dev `get(t)` answers for the last HISTORY_BUFFER_LENGTH = 8191 block timestamps (~27 h at
/// 12 s slots). It reverts for a timestamp with no block (a missed slot), for one that has been
/// overwritten in the ring buffer, for zero, and for the future.
library BeaconRoots {
    /// @dev BEACON_ROOTS_ADDRESS (EIP-4788).
    address internal constant ADDRESS = 0x000F3df6D732807Ef1319fB7B8bB8522d0Beac02;

    /// @notice The beacon-roots contract holds no root for `timestamp`.
    error BeaconRootUnavailable(uint256 timestamp);

    /// @dev The parent beacon block root of the execution block with timestamp `blockTimestamp`: the
    /// root of the beacon block of the slot before that block's slot.
    function get(uint256 blockTimestamp) internal view returns (bytes32 root) {
        bool ok;
        assembly ("memory-safe") {
            mstore(0x00, blockTimestamp)
            ok := staticcall(gas(), ADDRESS, 0x00, 0x20, 0x00, 0x20)
            ok := and(ok, eq(returndatasize(), 0x20))
            root := mload(0x00)
        }
        if (!ok) revert BeaconRootUnavailable(blockTimestamp);
    }
}
