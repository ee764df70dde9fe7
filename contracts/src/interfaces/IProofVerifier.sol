// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ValidatorProofs} from "../lib/ValidatorProofs.sol";
import {WithdrawalProofs} from "../lib/WithdrawalProofs.sol";

/// @title IProofVerifier
/// @notice Verifies lsv's beacon-chain proofs (crates/proofs/FORMAT.md) for one beacon chain and
/// one family of state layouts, against the EIP-4788 root of a timestamp: a validator's registry
/// entry, balance and inactivity score (`ValidatorProofs`), and a withdrawal in a block's
/// execution payload (`WithdrawalProofs`). The vault calls it instead of carrying the verifiers
/// in its own code: the two together would pass the EIP-170 code-size limit, and a layout family
/// the next fork brings gets a verifier of its own.
interface IProofVerifier {
    /// @notice The beacon chain's genesis time the proofs are anchored to.
    function GENESIS_TIME() external view returns (uint64);
    /// @notice The beacon chain's genesis validators root the proofs are anchored to.
    function GENESIS_VALIDATORS_ROOT() external view returns (bytes32);
    /// @notice The fork versions whose layouts the proofs may use, packed as `ValidatorProofs.Anchor`.
    function FORK_VERSIONS() external view returns (bytes32);
    /// @notice The network's first Capella slot (the first `historical_summaries` period).
    function CAPELLA_SLOT() external view returns (uint64);
    /// @notice The network's `MAX_WITHDRAWALS_PER_PAYLOAD` (capella preset: mainnet 16, minimal 4):
    /// sets the depth of the payload's `withdrawals` that withdrawal proofs climb. A power of two,
    /// at most 16.
    function MAX_WITHDRAWALS_PER_PAYLOAD() external view returns (uint64);
    /// @notice The network's `SLOTS_PER_HISTORICAL_ROOT` (phase0 preset: mainnet 8192, minimal 64):
    /// the length of `block_roots` and of a `historical_summaries` period, for withdrawal proofs.
    /// A power of two, at most 8192.
    function SLOTS_PER_HISTORICAL_ROOT() external view returns (uint64);

    /// @notice The verifier of the progressive (Gloas and later) state layout, to which format-2
    /// proofs are passed; created with this verifier and fixed.
    function PROGRESSIVE_VERIFIER() external view returns (address);

    /// @notice Verifies a validator proof of validator `index` against the EIP-4788 root for
    /// `timestamp` and returns what it proves; reverts with a `ValidatorProofs` or `BeaconRoots`
    /// error otherwise.
    /// @param proof The encoded validator proof: format 1 (Electra/Fulu layout) or format 2
    /// (progressive layout).
    /// @param index The validator index the caller vouches for (not carried by the proof).
    /// @param timestamp An execution block timestamp within the EIP-4788 window.
    /// @return The proven validator, balance, inactivity score, slot and fork version.
    function verifyValidator(bytes calldata proof, uint64 index, uint256 timestamp)
        external
        view
        returns (ValidatorProofs.Proven memory);

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
