// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {VaultBase} from "./VaultBase.sol";
import {IVault} from "../interfaces/IVault.sol";
import {ValidatorProofs} from "../lib/ValidatorProofs.sol";

/// @title VaultJoin
/// @notice The vault's first phase: a proven, attested validator joins and its owner receives 31
/// sETH and a position; ETH sent without a call is a donation to backing.
abstract contract VaultJoin is VaultBase {
    // ---- donations ------------------------------------------------------------------------------

    /// @notice ETH sent without a call is a donation to backing: it joins the buffer.
    receive() external payable {
        buffer += uint96(msg.value); // msg.value < ETH supply < 2^87; the sum is checked
        emit Donated(msg.sender, msg.value);
    }

    // ---- join -----------------------------------------------------------------------------------

    /// @inheritdoc IVault
    function join(
        bytes calldata pubkey,
        address owner,
        bytes calldata evidence,
        uint64 validatorIndex,
        uint256 timestamp,
        bytes calldata proof
    ) external override returns (uint256 positionId) {
        if (pubkey.length != 48) revert InvalidPubkeyLength(pubkey.length);
        if (owner == address(0)) revert InvalidOwner(owner);
        bytes32 pubkeyHash = keccak256(pubkey);
        {
            uint256 existing = positionIdOf[pubkeyHash];
            if (existing != 0) revert AlreadyJoined(pubkeyHash, existing);
        }
        uint256 count = positionCount;
        // The cap is on live debt, what a broken enclave could cost, not on joins ever made.
        if (totalLiveDebt + MINT > MAX_VALIDATORS * MINT || count == type(uint32).max) {
            revert PoolFull(MAX_VALIDATORS);
        }
        ValidatorProofs.Proven memory p = _provenForJoin(pubkey, validatorIndex, timestamp, proof);
        if (!VERIFIER.verifyKeyGeneration(_binding(pubkey, owner), evidence)) revert AttestationInvalid();

        unchecked {
            positionId = count + 1; // count < 2^32 - 1
        }
        _noteProof(p.slot);
        Position storage pos = _positions[positionId];
        pos.validatorIndex = uint40(validatorIndex); // proven: an index of the registry, below 2^40
        pos.lastProofSlot = uint40(p.slot); // a real slot: 2^40 slots are 400,000 years
        pos.status = Status.Active; // one word: lastExitRequestBlock and the flags stay 0
        pos.lastBalanceGwei = _capped(p.balance);
        positionIdOf[pubkeyHash] = positionId;
        positionCount = uint32(positionId);
        totalLiveDebt += uint96(MINT);
        emit Joined(positionId, pubkeyHash, owner, validatorIndex, p.balance, p.slot);

        SETH_TOKEN.mint(owner, MINT);
        POSITIONS.mint(owner); // returns positionId: the vault is its only minter, ids sequential
    }

    /// @inheritdoc IVault
    function keyGenerationBinding(bytes calldata pubkey, address owner) external view override returns (bytes32) {
        if (pubkey.length != 48) revert InvalidPubkeyLength(pubkey.length);
        return _binding(pubkey, owner);
    }

    /// @inheritdoc IVault
    function positionOf(uint256 positionId) external view override returns (Position memory) {
        return _positions[positionId];
    }

    /// @inheritdoc IVault
    function debtOf(uint256 positionId) external view override returns (uint256) {
        Position storage pos = _positions[positionId];
        Status status = pos.status;
        if (status == Status.None) return 0;
        if (status == Status.Closed) return pos.unpaidDebt;
        return _debt(pos);
    }

    // ---- private helpers ------------------------------------------------------------------------

    /// @dev Verifies a join proof and every condition on what it proves (all but the attestation).
    function _provenForJoin(bytes calldata pubkey, uint64 validatorIndex, uint256 timestamp, bytes calldata proof)
        private
        view
        returns (ValidatorProofs.Proven memory p)
    {
        p = PROOF_VERIFIER.verifyValidator(proof, validatorIndex, timestamp);
        if (!p.hasBalance) revert BalanceNotProven();
        if (p.pubkeyHead != bytes32(pubkey[0:32]) || p.pubkeyTail != bytes16(pubkey[32:48])) revert PubkeyMismatch();
        if (p.withdrawalCredentials != WITHDRAWAL_CREDENTIALS) {
            revert WrongWithdrawalCredentials(p.withdrawalCredentials, WITHDRAWAL_CREDENTIALS);
        }
        if (p.slashed) revert ValidatorSlashed();
        if (p.exitEpoch != ValidatorProofs.FAR_FUTURE_EPOCH) revert ValidatorExiting(p.exitEpoch);
        if (p.balance < MIN_DEPOSIT_GWEI) revert BalanceTooLow(p.balance, MIN_DEPOSIT_GWEI);
    }

    /// @dev `keyGenerationBinding` for a 48-byte pubkey.
    function _binding(bytes calldata pubkey, address owner) private view returns (bytes32) {
        return sha256(
            abi.encodePacked(
                DOMAIN_TAG,
                pubkey,
                WITHDRAWAL_CREDENTIALS,
                owner,
                block.chainid,
                GENESIS_VALIDATORS_ROOT,
                POLICY_HASH
            )
        );
    }
}
