// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {VaultBase} from "./VaultBase.sol";
import {IVault} from "../interfaces/IVault.sol";
import {ValidatorProofs} from "../lib/ValidatorProofs.sol";

/// @title VaultExits
/// @notice A live position's life on the beacon chain, as proofs show it: ejection of a validator
/// that falls behind (with its reward), exits demanded by the queue in a fixed order, and the
/// provisional loss marked to every balance and slashing proven.
/// @dev Two rules hold for every proof here. A state at or past the validator's withdrawable
/// epoch never moves its loss accounting (its balance may already be in the vault, unbooked
/// until settlement). And whether the consensus layer would honour an exit request is judged at
/// the current epoch, the one in which `process_withdrawal_request` will see the request.
abstract contract VaultExits is VaultBase {
    // ---- eject and marks ------------------------------------------------------------------------

    /// @inheritdoc IVault
    function eject(uint256 positionId, uint256 timestamp, bytes calldata proof, uint256 maxFee)
        external
        payable
        override
    {
        Position storage pos = _positionIn(positionId, true);
        ValidatorProofs.Proven memory p = _prove(positionId, pos, timestamp, proof);
        if (!p.hasBalance) revert BalanceNotProven();
        if (p.balance >= EJECT_BELOW_GWEI) {
            // Not below the threshold: only an inactivity score above the trigger ejects.
            if (!p.hasInactivityScore) revert InactivityScoreNotProven();
            if (p.inactivityScore <= INACTIVITY_TRIGGER) revert NotEjectable(p.balance, p.inactivityScore);
        }
        SkipReason reason = _ineligibility(p);
        if (reason != SkipReason.Eligible) revert ExitIneligible(positionId, reason);
        _checkResend(positionId, pos);
        uint256 reward;
        if (pos.rewardGwei == 0) {
            // Never more than the proven balance holds above the debt: the reward raises the debt
            // by what it mints, and the balance must back all of it.
            uint256 above = p.balance > MINT / 1 gwei ? p.balance - MINT / 1 gwei : 0;
            uint256 rewardGwei = above < EJECT_REWARD / 1 gwei ? above : EJECT_REWARD / 1 gwei;
            if (rewardGwei != 0) {
                pos.rewardGwei = uint32(rewardGwei); // <= 10^8
                reward = rewardGwei * 1 gwei;
                totalLiveDebt += uint96(reward);
                rewardTotalGwei += uint64(rewardGwei); // checked
            }
        }
        _mark(positionId, pos, p); // after the reward: the debt it marks against includes it
        emit Ejected(positionId, msg.sender, p.balance, p.inactivityScore, p.slot, reward);
        if (reward != 0) SETH_TOKEN.mint(msg.sender, reward);
        _requestExit(positionId, pos, _pubkey(p), maxFee, reward);
    }

    /// @inheritdoc IVault
    function markExiting(uint256 positionId, uint256 timestamp, bytes calldata proof) external override {
        Position storage pos = _positionIn(positionId, true);
        ValidatorProofs.Proven memory p = _prove(positionId, pos, timestamp, proof);
        if (p.exitEpoch == ValidatorProofs.FAR_FUTURE_EPOCH) revert NotExiting();
        _setExiting(positionId, pos, p);
    }

    /// @inheritdoc IVault
    function markToProof(uint256 positionId, uint256 timestamp, bytes calldata proof) external override {
        _markToProof(positionId, timestamp, proof, false);
    }

    /// @inheritdoc IVault
    function markSlashed(uint256 positionId, uint256 timestamp, bytes calldata proof) external override {
        _markToProof(positionId, timestamp, proof, true);
    }

    /// @inheritdoc IVault
    function heartbeat(uint64 validatorIndex, uint256 timestamp, bytes calldata proof) external override {
        ValidatorProofs.Proven memory p = PROOF_VERIFIER.verifyValidator(proof, validatorIndex, timestamp);
        _noteProof(p.slot);
        emit Heartbeat(msg.sender, p.slot);
    }

    // ---- demand exits ---------------------------------------------------------------------------

    /// @inheritdoc IVault
    function demandExit(uint256 positionId, uint256 timestamp, bytes calldata proof, uint256 maxFee)
        external
        payable
        override
    {
        (uint256 open, uint256 covered) = _demand();
        // A position whose exit was requested already counts as cover: re-sending its request
        // (once `EXIT_RESEND_BLOCKS` have passed) needs no demand, and adds no debt.
        if (open <= covered && !_positions[positionId].exitRequested) revert NoDemand(open, covered);
        uint256 next = _atCursor(positionId);
        Position storage pos = _positionIn(positionId, true);
        _checkResend(positionId, pos);
        ValidatorProofs.Proven memory p = _prove(positionId, pos, timestamp, proof);
        SkipReason reason = _ineligibility(p);
        if (reason != SkipReason.Eligible) revert ExitIneligible(positionId, reason);
        _demandCursor = uint32(next);
        emit DemandExit(positionId, msg.sender, open, covered, next);
        _requestExit(positionId, pos, _pubkey(p), maxFee, 0);
    }

    /// @inheritdoc IVault
    function skipDemandExit(uint256 positionId, uint256 timestamp, bytes calldata proof) external override {
        uint256 next = _atCursor(positionId);
        Position storage pos = _positions[positionId];
        SkipReason reason;
        if (pos.status != Status.Active) {
            reason = SkipReason.NotActive;
        } else if (_recentlyRequested(pos)) {
            reason = SkipReason.ExitRecentlyRequested;
        } else {
            ValidatorProofs.Proven memory p = _prove(positionId, pos, timestamp, proof);
            reason = _ineligibility(p);
            if (reason == SkipReason.Eligible) revert NotSkippable(positionId);
            if (reason == SkipReason.Exiting) _setExiting(positionId, pos, p);
        }
        _demandCursor = uint32(next);
        emit DemandExitSkipped(positionId, msg.sender, reason, next);
    }

    /// @inheritdoc IVault
    function demandCursor() external view override returns (uint256) {
        uint256 c = _demandCursor;
        return c == 0 ? 1 : c;
    }

    /// @notice Open (unfinalized) redemptions in sETH wei, and what covers them: the buffer and
    /// the debt of positions exiting or asked to exit. A first demand exit of a position is
    /// allowed only while `open > covered`.
    /// @return open The open redemptions.
    /// @return covered `buffer + exitingDebt`.
    function demand() external view returns (uint256 open, uint256 covered) {
        return _demand();
    }

    // ---- private helpers ------------------------------------------------------------------------

    /// @dev Why the consensus layer would ignore an EIP-7002 full exit of the proven validator if
    /// the request were processed in the current epoch (`Eligible` if it would not), after
    /// `process_withdrawal_request` (Electra): the validator must not be exiting, must be active,
    /// and active for at least `SHARD_COMMITTEE_PERIOD` epochs. The current epoch is the
    /// block's, not the proven state's, so a proof up to a day old cannot skip a validator that
    /// has become eligible since. `exit_epoch` and a set `activation_epoch` never change back.
    /// An unscheduled activation (FAR_FUTURE) can take effect at
    /// `compute_activation_exit_epoch` of the proven epoch at the earliest; and an EIP-4788 root
    /// is at most 8191 slots old, fewer than the 261 epochs that would take to reach
    /// `SHARD_COMMITTEE_PERIOD`, so such a proof always shows the validator too young to exit.
    function _ineligibility(ValidatorProofs.Proven memory p) private view returns (SkipReason) {
        if (p.exitEpoch != ValidatorProofs.FAR_FUTURE_EPOCH) return SkipReason.Exiting;
        uint256 current = (block.timestamp - GENESIS_TIME) / (SLOTS_PER_EPOCH * SECONDS_PER_SLOT);
        uint256 activation = p.activationEpoch;
        if (activation == ValidatorProofs.FAR_FUTURE_EPOCH) {
            activation = p.slot / SLOTS_PER_EPOCH + 1 + MAX_SEED_LOOKAHEAD;
            if (current >= activation) return SkipReason.ActiveTooShort;
        }
        if (current < activation) return SkipReason.NotYetActive;
        if (current < activation + SHARD_COMMITTEE_PERIOD) return SkipReason.ActiveTooShort;
        return SkipReason.Eligible;
    }

    /// @dev `Active` -> `Exiting`: the position's debt joins `exitingDebt` unless its exit request
    /// counted it already (the flag is cleared: one of the two marks membership); the proof also
    /// re-marks its shortfall.
    function _setExiting(uint256 positionId, Position storage pos, ValidatorProofs.Proven memory p) private {
        pos.status = Status.Exiting;
        uint256 exiting = exitingDebt;
        if (pos.exitRequested) {
            pos.exitRequested = false;
        } else {
            exiting += _debt(pos);
            exitingDebt = uint96(exiting); // <= totalLiveDebt < 2^96
        }
        emit MarkedExiting(positionId, p.exitEpoch, p.slot, exiting);
        _mark(positionId, pos, p);
    }

    /// @dev `markToProof` / `markSlashed`.
    function _markToProof(uint256 positionId, uint256 timestamp, bytes calldata proof, bool slashed) private {
        Position storage pos = _positionIn(positionId, false);
        ValidatorProofs.Proven memory p = _prove(positionId, pos, timestamp, proof);
        if (!p.hasBalance) revert BalanceNotProven();
        if (slashed && !p.slashed) revert NotSlashed();
        if (_withdrawable(p)) revert ValidatorWithdrawable(p.withdrawableEpoch, p.slot / SLOTS_PER_EPOCH);
        _mark(positionId, pos, p);
    }

    /// @dev Marks the position's provisional loss to what the proof shows, unless the state is at
    /// or past the withdrawable epoch (then only settlement speaks for it):
    /// - slashed, before the correlation penalty: the worst case, the whole debt. Electra's
    ///   `slash_validator` takes `effective_balance / 4096` at once; `process_slashings` takes up
    ///   to the whole effective balance at the end of epoch `withdrawable_epoch - 4096` (when a
    ///   third of the stake is slashed in the window), and until it is withdrawable a slashed
    ///   validator earns nothing and still bears penalties, so nothing of its balance is safe.
    ///   The position counts in `slashingsPending` until a proof after the penalty, or its
    ///   settlement.
    /// - otherwise, with a balance: `debt - min(debt, balance)`.
    /// `provisionalShortfall` moves by the difference, down as well as up.
    function _mark(uint256 positionId, Position storage pos, ValidatorProofs.Proven memory p) private {
        if (_withdrawable(p)) return;
        uint256 debt = _debt(pos);
        uint256 shortfall;
        if (p.slashed) {
            bool pending = p.slot / SLOTS_PER_EPOCH + SLASHING_PENALTY_LEAD <= p.withdrawableEpoch;
            if (pending || p.hasBalance) _setSlashed(positionId, pos, p.slot, pending);
            if (pending) shortfall = debt;
            else if (!p.hasBalance) return;
        } else if (!p.hasBalance) {
            return;
        }
        if (shortfall == 0) {
            uint256 floor = uint256(p.balance) * 1 gwei;
            shortfall = debt > floor ? debt - floor : 0;
        }
        uint256 old = pos.shortfall;
        if (shortfall != old) {
            uint256 total = provisionalShortfall + shortfall - old; // old is part of the total
            pos.shortfall = uint96(shortfall); // <= debt
            provisionalShortfall = uint96(total); // <= totalLiveDebt < 2^96
            emit ShortfallMarked(positionId, p.balance, p.slot, shortfall, total);
        }
    }

    /// @dev Records that the position is slashed and whether its correlation penalty is pending,
    /// keeping `slashingsPending` the count of pending positions.
    function _setSlashed(uint256 positionId, Position storage pos, uint64 slot, bool pending) private {
        bool wasPending = pos.penaltyPending;
        if (pos.slashed && wasPending == pending) return;
        pos.slashed = true;
        uint256 count = slashingsPending;
        if (pending != wasPending) {
            pos.penaltyPending = pending;
            count = pending ? count + 1 : count - 1; // a flagged position is counted
            slashingsPending = uint32(count); // <= positionCount < 2^32
        }
        emit MarkedSlashed(positionId, slot, pending, count);
    }

    /// @dev Open redemptions (requested, not finalized) and the buffer plus the exiting debt.
    function _demand() private view returns (uint256 open, uint256 covered) {
        open = uint256(requestedTotal) - _requests[lastFinalizedId].cumulative;
        covered = uint256(buffer) + exitingDebt;
    }

    /// @dev Checks `positionId` is the cursor's and returns the cursor after it (wrapping to 1).
    function _atCursor(uint256 positionId) private view returns (uint256 next) {
        uint256 cursor = _demandCursor;
        if (cursor == 0) cursor = 1;
        uint256 count = positionCount;
        if (positionId != cursor || positionId > count) revert NotDemandCursor(positionId, cursor);
        return positionId == count ? 1 : positionId + 1;
    }

    /// @dev The request path shared by `eject` and `demandExit`, after the eligibility check: the
    /// first request for the position sets `exitRequested` and adds its debt to `exitingDebt`,
    /// and a reward paid now on a position counted already adds the reward, so `exitingDebt`
    /// stays the sum of the counted positions' debts. Then sends the request.
    function _requestExit(
        uint256 positionId,
        Position storage pos,
        bytes memory pubkey,
        uint256 maxFee,
        uint256 reward
    ) private {
        uint256 exiting = exitingDebt;
        if (!pos.exitRequested) {
            pos.exitRequested = true;
            exiting += _debt(pos);
            exitingDebt = uint96(exiting); // <= totalLiveDebt < 2^96
        } else if (reward != 0) {
            exiting += reward;
            exitingDebt = uint96(exiting); // <= totalLiveDebt < 2^96
        }
        _sendExitRequest(positionId, pos, pubkey, maxFee, exiting);
    }
}
