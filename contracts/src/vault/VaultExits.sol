// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {VaultBase} from "./VaultBase.sol";
import {IVault} from "../interfaces/IVault.sol";
import {ValidatorProofs} from "../lib/ValidatorProofs.sol";

/// @title VaultExits
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
        if (!p.hasInactivityScore) revert InactivityScoreNotProven();
        if (p.balance >= EJECT_BELOW_GWEI && p.inactivityScore <= INACTIVITY_TRIGGER) {
            revert NotEjectable(p.balance, p.inactivityScore);
        }
        _checkResend(positionId, pos);
        bool reward = !pos.rewardPaid && p.exitEpoch == ValidatorProofs.FAR_FUTURE_EPOCH
            && _epochsActive(p) >= SHARD_COMMITTEE_PERIOD;
        if (reward) {
            pos.rewardPaid = true;
            totalLiveDebt += uint96(EJECT_REWARD); // same slot as the counter below
            ++rewardCount; // checked: at most one per position, fewer than 2^32
        }
        _markShortfall(positionId, pos, p); // after the reward: the debt it marks against includes it
        emit Ejected(positionId, msg.sender, p.balance, p.inactivityScore, p.slot, reward);
        if (reward) SETH_TOKEN.mint(msg.sender, EJECT_REWARD);
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
        if (reason != SkipReason.Eligible) revert DemandExitIneligible(positionId, reason);
        _demandCursor = uint32(next);
        emit DemandExit(positionId, msg.sender, open, covered, next);
        _requestExit(positionId, pos, _pubkey(p), maxFee, false);
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

    /// @notice Open (unfinalized) redemptions in sETH wei, and what covers them: the buffer, the
    /// debt of positions proven exiting and the debt of positions whose exit was requested and
    /// not yet proven. A first demand exit of a position is allowed only while `open > covered`.
    /// @return open The open redemptions.
    /// @return covered `buffer + exitingDebt + pendingExitDebt`.
    function demand() external view returns (uint256 open, uint256 covered) {
        return _demand();
    }

    /// @dev Full epochs the proven validator has been active at the proven slot (0 if not yet).
    function _epochsActive(ValidatorProofs.Proven memory p) internal pure returns (uint256) {
        uint256 epoch = p.slot / SLOTS_PER_EPOCH;
        return epoch > p.activationEpoch ? epoch - p.activationEpoch : 0;
    }

    /// @dev Why the proven validator cannot be asked to exit (`Eligible` if it can).
    function _ineligibility(ValidatorProofs.Proven memory p) internal pure returns (SkipReason) {
        if (p.exitEpoch != ValidatorProofs.FAR_FUTURE_EPOCH) return SkipReason.Exiting;
        if (p.activationEpoch > p.slot / SLOTS_PER_EPOCH) return SkipReason.NotYetActive;
        if (_epochsActive(p) < SHARD_COMMITTEE_PERIOD) return SkipReason.ActiveTooShort;
        return SkipReason.Eligible;
    }

    /// @dev `Active` -> `Exiting`: the position's debt joins `exitingDebt`, leaving
    /// `pendingExitDebt` if its exit was requested (the flag is cleared); a proven balance also
    /// re-marks its shortfall.
    function _setExiting(uint256 positionId, Position storage pos, ValidatorProofs.Proven memory p) internal {
        pos.status = Status.Exiting;
        uint256 debt = _debt(pos.rewardPaid);
        exitingDebt += uint96(debt);
        if (pos.exitRequested) {
            pos.exitRequested = false;
            uint256 pending = pendingExitDebt - debt; // checked: the flagged debt is part of it
            pendingExitDebt = uint96(pending);
            emit PendingExitProven(positionId, debt, pending);
        }
        emit MarkedExiting(positionId, p.exitEpoch, p.slot, debt);
        if (p.hasBalance) _markShortfall(positionId, pos, p);
    }

    /// @dev `markToProof` / `markSlashed`.
    function _markToProof(uint256 positionId, uint256 timestamp, bytes calldata proof, bool slashed) internal {
        Position storage pos = _positionIn(positionId, false);
        ValidatorProofs.Proven memory p = _prove(positionId, pos, timestamp, proof);
        if (!p.hasBalance) revert BalanceNotProven();
        if (slashed) {
            if (!p.slashed) revert NotSlashed();
            if (!pos.slashed) {
                pos.slashed = true;
                emit MarkedSlashed(positionId, p.slot);
            }
        }
        _markShortfall(positionId, pos, p);
    }

    /// @dev Sets the position's shortfall to `debt - min(debt, balance)` for the proven balance and
    /// moves `provisionalShortfall` by the difference.
    function _markShortfall(uint256 positionId, Position storage pos, ValidatorProofs.Proven memory p) internal {
        uint256 debt = _debt(pos.rewardPaid);
        uint256 floor = uint256(p.balance) * 1 gwei;
        uint256 shortfall = debt > floor ? debt - floor : 0;
        uint256 old = pos.shortfall;
        if (shortfall != old) {
            uint256 total = provisionalShortfall + shortfall - old; // old is part of the total
            pos.shortfall = uint128(shortfall); // <= debt
            provisionalShortfall = uint96(total); // <= totalLiveDebt < 2^96
            emit ShortfallMarked(positionId, p.balance, p.slot, shortfall, total);
        }
    }

    /// @dev Open redemptions (requested, not finalized) and the buffer plus exiting and pending
    /// exit debt.
    function _demand() internal view returns (uint256 open, uint256 covered) {
        open = uint256(requestedTotal) - _requests[lastFinalizedId].cumulative;
        covered = uint256(buffer) + exitingDebt + pendingExitDebt;
    }

    /// @dev Checks `positionId` is the cursor's and returns the cursor after it (wrapping to 1).
    function _atCursor(uint256 positionId) internal view returns (uint256 next) {
        uint256 cursor = _demandCursor;
        if (cursor == 0) cursor = 1;
        uint256 count = positionCount;
        if (positionId != cursor || positionId > count) revert NotDemandCursor(positionId, cursor);
        return positionId == count ? 1 : positionId + 1;
    }

    /// @dev The request path shared by `eject` and `demandExit`: the first request for the
    /// position sets `exitRequested` and adds its debt to `pendingExitDebt`, and a reward paid now
    /// on an already flagged position (`rewardPaid`: its debt just rose) adds `EJECT_REWARD`, so
    /// `pendingExitDebt` stays the sum of the flagged positions' debts. Then sends the request.
    function _requestExit(
        uint256 positionId,
        Position storage pos,
        bytes memory pubkey,
        uint256 maxFee,
        bool rewardPaid
    ) internal {
        uint256 pending = pendingExitDebt;
        if (!pos.exitRequested) {
            pos.exitRequested = true;
            pending += _debt(pos.rewardPaid);
            pendingExitDebt = uint96(pending); // <= totalLiveDebt < 2^96
        } else if (rewardPaid) {
            pending += EJECT_REWARD;
            pendingExitDebt = uint96(pending); // <= totalLiveDebt < 2^96
        }
        _sendExitRequest(positionId, pos, pubkey, maxFee, pending);
    }
}
