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
/// @dev Accounting never reads `address(this).balance`: ETH is either in `buffer` (backing, free
/// to finalize requests with) or in `reserved` (owed to finalized, unclaimed requests). Backing of
/// sETH is `buffer + totalLiveDebt - provisionalShortfall` (DESIGN.md, "Invariant").
///
/// Storage layout, on purpose (each line one 32-byte slot):
/// - `buffer` (uint96) ‖ `reserved` (uint96) ‖ `residualTotalGwei` (uint64): touched together by
///   finalize, claim and settlement (2^96 wei and 2^64 gwei are far above the ETH supply);
/// - `totalLiveDebt` (uint96) ‖ `exitingDebt` (uint96) ‖ `positionCount` (uint32) ‖
///   `rewardCount` (uint32): join's and eject's totals, and with them everything ever minted;
/// - `provisionalShortfall` (uint96) ‖ the demand-exit cursor (uint32) ‖ `lastProofEpoch`
///   (uint32) ‖ `pendingExitDebt` (uint96): every proof writes the epoch, an exit request the
///   pending debt, a demand exit the cursor, all in one slot;
/// - `lastRequestId` (uint64) ‖ `lastFinalizedId` (uint64) ‖ `requestedTotal` (uint96) ‖
///   `checkpointCount` (uint32): the queue's heads, read together by every queue call;
/// - per request one slot: owner (20 bytes) ‖ running total (uint96);
/// - per checkpoint one slot: last request id (uint128) ‖ rate (uint128);
/// - per position two slots (`IVault.Position`; join writes only the first, the second holds the
///   shortfall, the slashed flag and the unpaid debt of a closed position, written only by a
///   proven loss or a settlement), plus one for the pubkey-hash index;
/// - per position with a residual one slot (`residualOf`); the ETH of the vault is `buffer +
///   reserved + residualTotalGwei + ownerPoolOwed` + withdrawals not yet proven;
/// - `windDownStartedAt` (uint40) ‖ `windDownWeight` (uint96) ‖ `windDownFinished` ‖
///   `debtToUnwind` (uint96), then `ownerPoolOwed` and `ownerPoolPerWeight`: the wind-down's;
/// - a bitmap of credited withdrawal indices, 256 per slot.
contract Vault is VaultJoin, VaultQueue, VaultExits, VaultSettlement, VaultWindDown {
    constructor(
        IAttestationVerifier verifier,
        ValidatorProofs.Anchor memory anchor,
        uint256 maxValidators,
        uint64 inactivityTrigger,
        uint256 exitResendBlocks,
        uint256 minRedeem,
        bytes32 policyHash,
        IProofVerifier proofVerifier,
        uint256 windDownDelay
    )
        VaultBase(verifier, anchor, maxValidators, inactivityTrigger, exitResendBlocks, minRedeem, policyHash, proofVerifier, windDownDelay)
    {}
}
