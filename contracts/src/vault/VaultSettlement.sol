// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {VaultBase} from "./VaultBase.sol";
import {IVault} from "../interfaces/IVault.sol";
import {ValidatorProofs} from "../lib/ValidatorProofs.sol";
import {WithdrawalProofs} from "../lib/WithdrawalProofs.sol";

/// @title VaultSettlement
/// @notice The end of a position: the validator's withdrawals, proven in execution payloads, are
/// booked as they arrive. The first one at or after the withdrawable epoch closes the position
/// (its debt to the queue, the rest to the holder); every later one, or an earlier one the sweep
/// paid above 2048 ETH, repays a realised loss first and then goes to the holder; a withdrawal of
/// a validator that never joined is a donation.
abstract contract VaultSettlement is VaultBase {

    /// @inheritdoc IVault
    function settle(
        uint256 positionId,
        uint256 validatorTimestamp,
        bytes calldata validatorProof,
        uint256 withdrawalTimestamp,
        bytes calldata withdrawalProof
    ) external override {
        Position storage pos = _positionIn(positionId, false);
        ValidatorProofs.Proven memory v = _prove(positionId, pos, validatorTimestamp, validatorProof);
        uint64 withdrawable = v.withdrawableEpoch;
        // `slash_validator` may still raise `withdrawable_epoch` until it is reached;
        // `is_slashable_validator` is false from then on, so the value proven is final.
        if (withdrawable == ValidatorProofs.FAR_FUTURE_EPOCH || v.slot / SLOTS_PER_EPOCH < withdrawable) {
            revert NotWithdrawable(withdrawable, v.slot);
        }
        (WithdrawalProofs.Proven memory w, uint256 amount) =
            _creditOnce(withdrawalTimestamp, withdrawalProof, pos.validatorIndex);
        if (w.slot / SLOTS_PER_EPOCH < withdrawable) revert WithdrawalBeforeWithdrawable(w.slot, withdrawable);
        _close(positionId, pos, w.index, amount);
    }

    /// @inheritdoc IVault
    function creditWithdrawal(uint256 positionId, uint256 timestamp, bytes calldata proof) external override {
        Position storage pos = _positions[positionId];
        if (pos.status != Status.Closed) revert InvalidPositionStatus(positionId, pos.status);
        (WithdrawalProofs.Proven memory w, uint256 amount) = _creditOnce(timestamp, proof, pos.validatorIndex);
        uint256 unpaid = pos.unpaidDebt;
        uint256 toBacking = amount < unpaid ? amount : unpaid;
        if (toBacking != 0) {
            pos.unpaidDebt = uint96(unpaid - toBacking);
            buffer += uint96(toBacking);
        }
        uint256 toOwner = amount - toBacking;
        if (toOwner != 0) _owe(positionId, toOwner);
        emit WithdrawalCredited(positionId, w.index, w.validatorIndex, amount, toBacking, toOwner);
    }

    /// @inheritdoc IVault
    function creditUnattributedWithdrawal(
        uint64 validatorIndex,
        uint256 validatorTimestamp,
        bytes calldata validatorProof,
        uint256 withdrawalTimestamp,
        bytes calldata withdrawalProof
    ) external override {
        ValidatorProofs.Proven memory v =
            PROOF_VERIFIER.verifyValidator(validatorProof, validatorIndex, validatorTimestamp);
        _noteProof(v.slot);
        uint256 positionId = _positionIdOf(v);
        if (positionId != 0) revert WithdrawalAttributed(positionId);
        (WithdrawalProofs.Proven memory w, uint256 amount) =
            _creditOnce(withdrawalTimestamp, withdrawalProof, validatorIndex);
        buffer += uint96(amount);
        emit WithdrawalCredited(0, w.index, validatorIndex, amount, amount, 0);
    }

    /// @inheritdoc IVault
    function claimResidual(uint256 positionId, address recipient) external override {
        (address holder, address to) = _holderPaying(positionId, recipient);
        uint256 amount = residualOf[positionId];
        if (amount == 0) revert NoResidual(positionId);
        residualOf[positionId] = 0;
        residualTotalGwei -= uint64(amount / 1 gwei); // checked: whole gwei, part of the total
        emit ResidualClaimed(positionId, holder, to, amount);

        _sendEth(to, amount);
    }

    // ---- private helpers ------------------------------------------------------------------------

    /// @dev Closes a live position on a withdrawal of `amount` wei (`settle`'s effects): its debt
    /// leaves the live totals, `min(amount, debt)` joins the buffer, the rest is owed to the
    /// holder, the unrepaid debt is recorded, the provisional shortfall (and a pending slashing)
    /// dropped.
    function _close(uint256 positionId, Position storage pos, uint64 withdrawalIndex, uint256 amount) private {
        uint256 debt = _debt(pos);
        Status status = pos.status;
        pos.status = Status.Closed;
        totalLiveDebt -= uint96(debt); // checked: the position's debt is part of it
        if (status == Status.Exiting || pos.exitRequested) {
            pos.exitRequested = false;
            exitingDebt -= uint96(debt); // checked: counted once, by one of the two
        }
        if (pos.penaltyPending) {
            // Settled before anyone proved the penalty: the withdrawal is the outcome.
            pos.penaltyPending = false;
            --slashingsPending; // checked: a flagged position is counted
        }
        uint256 shortfall = pos.shortfall;
        if (shortfall != 0) {
            pos.shortfall = 0;
            provisionalShortfall -= uint96(shortfall); // it was part of the total
        }
        uint256 toQueue = amount < debt ? amount : debt;
        uint256 unpaid = debt - toQueue;
        if (unpaid != 0) pos.unpaidDebt = uint96(unpaid);
        buffer += uint96(toQueue);
        uint256 toOwner = amount - toQueue;
        if (toOwner != 0) _owe(positionId, toOwner);
        emit Settled(positionId, withdrawalIndex, amount, toQueue, toOwner, unpaid);
    }

    /// @dev Verifies a withdrawal proof, checks it paid the vault for validator `validatorIndex`,
    /// and marks its global index credited (each once); its anchor counts as an accepted proof.
    /// Returns it and its amount in wei.
    function _creditOnce(uint256 timestamp, bytes calldata proof, uint64 validatorIndex)
        private
        returns (WithdrawalProofs.Proven memory w, uint256 amount)
    {
        w = PROOF_VERIFIER.verifyWithdrawal(proof, timestamp);
        _noteProof(w.anchorSlot); // reverts with `WindingDown` once the wind-down started
        if (w.withdrawalAddress != address(this)) revert WithdrawalNotToVault(w.withdrawalAddress);
        if (w.validatorIndex != validatorIndex) revert WithdrawalOfAnotherValidator(w.validatorIndex, validatorIndex);
        uint256 word = w.index >> 8;
        uint256 bit = 1 << (w.index & 0xff);
        uint256 bits = _creditedWithdrawals[word];
        if (bits & bit != 0) revert WithdrawalAlreadyCredited(w.index);
        _creditedWithdrawals[word] = bits | bit;
        amount = uint256(w.amount) * 1 gwei;
    }

    /// @dev Owes `amount` more wei to position `positionId`'s holder. The running total lets the
    /// wind-down tell owed ETH from ETH that arrived without proof.
    function _owe(uint256 positionId, uint256 amount) private {
        residualOf[positionId] += amount;
        residualTotalGwei += uint64(amount / 1 gwei); // whole gwei (see `residualTotalGwei`); checked
    }
}
