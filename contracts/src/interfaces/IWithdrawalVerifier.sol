// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {WithdrawalProofs} from "../lib/WithdrawalProofs.sol";

/// @title IWithdrawalVerifier
/// @notice Verifies that a withdrawal is in a beacon block's execution payload, reached from the
/// EIP-4788 root of a timestamp (`WithdrawalProofs`, crates/proofs/FORMAT.md "Withdrawal proof").
/// The vault calls it instead of carrying the verifier in its own code: the two together would
/// pass the EIP-170 code-size limit.
interface IWithdrawalVerifier {
    /// @notice The beacon chain's genesis time the proofs are anchored to.
    function GENESIS_TIME() external view returns (uint64);
    /// @notice The beacon chain's genesis validators root the proofs are anchored to.
    function GENESIS_VALIDATORS_ROOT() external view returns (bytes32);
    /// @notice The fork versions whose layouts the proofs may use, packed as `ValidatorProofs.Anchor`.
    function FORK_VERSIONS() external view returns (bytes32);
    /// @notice The network's first Capella slot (the first `historical_summaries` period).
    function CAPELLA_SLOT() external view returns (uint64);

    /// @notice Verifies `proof` against the EIP-4788 root for `timestamp` and returns what it
    /// proves; reverts with a `WithdrawalProofs` or `ValidatorProofs` error otherwise.
    /// @param proof The encoded withdrawal proof.
    /// @param timestamp An execution block timestamp within the EIP-4788 window.
    /// @return The proven withdrawal, its position, block slot and route.
    function verifyWithdrawal(bytes calldata proof, uint256 timestamp)
        external
        view
        returns (WithdrawalProofs.Proven memory);
}
