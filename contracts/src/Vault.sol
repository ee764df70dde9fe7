// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IAttestationVerifier} from "./interfaces/IAttestationVerifier.sol";
import {IProofVerifier} from "./interfaces/IProofVerifier.sol";
import {ValidatorProofs} from "./lib/ValidatorProofs.sol";
import {VaultBase} from "./vault/VaultBase.sol";
import {VaultExits} from "./vault/VaultExits.sol";
import {VaultJoin} from "./vault/VaultJoin.sol";
import {VaultQueue} from "./vault/VaultQueue.sol";
import {VaultSettlement} from "./vault/VaultSettlement.sol";
import {VaultWindDown} from "./vault/VaultWindDown.sol";

/// @title Vault
/// @notice lsv's vault, "C" of docs/DESIGN.md: lends 31 sETH against each proven 32-ETH validator
/// with credentials `0x02 ‖ 0^11 ‖ this` whose key lsv's signer generated (attested), and redeems
/// sETH for ETH through a first-come-first-served queue with running totals. Immutable: no owner,
/// no upgrade, no pause; every parameter is a constant or an immutable fixed at deployment.
/// @dev The vault is its phases, each an abstract contract on `VaultBase` (which holds the
/// parameters, the storage with a `// slot N` marker at each packed word, the constructor and the
/// helpers several phases share): `VaultJoin`, `VaultQueue`, `VaultExits`, `VaultSettlement`,
/// `VaultWindDown`. Proofs are verified by `PROOF_VERIFIER`, a contract of its own.
contract Vault is VaultJoin, VaultQueue, VaultExits, VaultSettlement, VaultWindDown {
    /// @notice Deploys the vault with its parameters and creates its sETH and positions tokens.
    /// @param verifier The attestation verifier (not zero).
    /// @param anchor The beacon chain's genesis time, genesis validators root and known fork versions.
    /// @param maxValidators `MAX_VALIDATORS` (1 to 2^32 - 1).
    /// @param inactivityTrigger `INACTIVITY_TRIGGER`.
    /// @param exitResendBlocks `EXIT_RESEND_BLOCKS` (not zero).
    /// @param minRedeem `MIN_REDEEM` (not zero).
    /// @param policyHash `POLICY_HASH`.
    /// @param proofVerifier `PROOF_VERIFIER`: anchored to the same genesis and forks.
    /// @param windDownDelay `WIND_DOWN_DELAY` (at least `MIN_WIND_DOWN_DELAY`).
    /// @param timing The beacon chain's `SECONDS_PER_SLOT`, `SLOTS_PER_EPOCH`,
    /// `SHARD_COMMITTEE_PERIOD` and `EPOCHS_PER_SLASHINGS_VECTOR` (each above zero, the last even).
    constructor(
        IAttestationVerifier verifier,
        ValidatorProofs.Anchor memory anchor,
        uint256 maxValidators,
        uint64 inactivityTrigger,
        uint256 exitResendBlocks,
        uint256 minRedeem,
        bytes32 policyHash,
        IProofVerifier proofVerifier,
        uint256 windDownDelay,
        ChainTiming memory timing
    )
        VaultBase(
            verifier,
            anchor,
            maxValidators,
            inactivityTrigger,
            exitResendBlocks,
            minRedeem,
            policyHash,
            proofVerifier,
            windDownDelay,
            timing
        )
    {}
}
