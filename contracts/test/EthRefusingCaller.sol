// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title EthRefusingCaller
/// @notice Test-only: a contract account that makes calls and cannot receive ETH (no `receive`,
/// no `fallback`), so the harness can check what the vault does when a refund or a payout to a
/// contract fails.
contract EthRefusingCaller {
    /// @notice Calls `target` with `data`, forwarding `msg.value`; bubbles a revert up unchanged.
    /// @param target The contract to call.
    /// @param data The calldata.
    /// @return The call's return data.
    function forward(address target, bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory ret) = target.call{value: msg.value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }
}
