// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {VaultBase} from "./VaultBase.sol";
import {IVault} from "../interfaces/IVault.sol";

/// @title VaultWindDown
/// @notice The way out when the vault can no longer read the beacon chain (a layout fork its
/// verifiers do not know): after a long silence and a standing notice, anyone exits every
/// validator without a proof, and what arrives is shared pro rata, whenever it arrives: first by
/// every sETH outstanding at the start, up to par, then by the owners, pro rata to their last
/// proven residual.
/// @dev The rule (docs/DESIGN.md, "Layout forks"): notice may be given once no proof has been
/// accepted for `WIND_DOWN_DELAY` (from deployment at the earliest); the wind-down may start
/// `WIND_DOWN_NOTICE` after the notice if still no proof has been accepted. Any accepted proof
/// (a `heartbeat` is the cheapest) starts the silence again. A vault that anyone watches is
/// never quiet that long; one that nobody can prove anything about any more is.
abstract contract VaultWindDown is VaultBase {
    // ---- wind-down ------------------------------------------------------------------------------

    /// @inheritdoc IVault
    function noticeWindDown() external override {
        uint256 last = lastProofEpoch;
        if (last == WOUND_DOWN) revert WindingDown();
        uint256 earliest =
            uint256(GENESIS_TIME) + (last + 1) * SLOTS_PER_EPOCH * SECONDS_PER_SLOT + WIND_DOWN_DELAY;
        if (block.timestamp < earliest) revert ProofsNotSilent(earliest);
        // A standing notice is not renewed: a second one must not push the start back.
        uint256 noticed = windDownNoticedAt;
        if (noticed != 0 && windDownNoticeEpoch == last) revert WindDownNoticeRunning(noticed + WIND_DOWN_NOTICE);
        windDownNoticedAt = uint40(block.timestamp);
        windDownNoticeEpoch = uint32(last);
        emit WindDownNoticed(last, block.timestamp + WIND_DOWN_NOTICE, msg.sender);
    }

    /// @inheritdoc IVault
    function windDownExit(bytes calldata pubkey, uint256 maxFee) external payable override {
        if (pubkey.length != 48) revert InvalidPubkeyLength(pubkey.length);
        _startWindDown();
        uint256 positionId = positionIdOf[keccak256(pubkey)];
        Position storage pos = _positions[positionId];
        Status status = pos.status;
        if (status == Status.Unwinding) {
            _checkResend(positionId, pos); // a re-send: the position is counted already
        } else {
            if (status != Status.Active && status != Status.Exiting) {
                revert InvalidPositionStatus(positionId, status);
            }
            pos.status = Status.Unwinding;
            uint256 debt = _debt(pos);
            // Every live position's debt is in `debtToUnwind` until it is unwound.
            uint256 left = debtToUnwind - debt;
            debtToUnwind = uint96(left);
            uint256 balance = uint256(pos.lastBalanceGwei) * 1 gwei;
            uint256 weight = balance > debt ? (balance - debt) / 1 gwei : 0;
            if (weight != 0) {
                _windDownShares[positionId].weightGwei = uint128(weight);
                windDownWeight += uint64(weight); // checked
            }
            emit PositionUnwound(positionId, msg.sender, weight, left);
            if (status == Status.Exiting) {
                // Proven exiting already: no request to send.
                if (msg.value != 0) _sendEth(msg.sender, msg.value);
                return;
            }
        }
        _sendExitRequest(positionId, pos, pubkey, maxFee, exitingDebt);
    }

    /// @inheritdoc IVault
    function sweepWindDown() external override {
        if (!_windingDown()) revert NotWindingDown();
        // Everything not owed to someone already is free: the buffer, donations, and what
        // arrived without proof.
        uint256 owed = uint256(reserved) + uint256(residualTotalGwei) * 1 gwei + ownerPoolOwed;
        uint256 balance = address(this).balance;
        uint256 free = balance > owed ? balance - owed : 0;
        // The sETH of the start first, pro rata, up to par.
        uint256 claims = windDownSeth;
        uint256 booked = windDownSethBooked;
        uint256 toSeth = claims - booked; // booked <= claims
        if (free < toSeth) toSeth = free;
        uint256 rest = free - toSeth;
        uint256 toOwners;
        uint256 weight = windDownWeight;
        if (rest != 0 && weight != 0 && debtToUnwind == 0) {
            // Then the owners, once every live position is counted (until then the rest waits).
            uint256 perWeight = rest * SHARE_UNIT / weight;
            ownerPoolPerWeight += perWeight;
            // Rounded up, so the holders' rounded-down claims never exceed it; <= rest.
            toOwners = (perWeight * weight + SHARE_UNIT - 1) / SHARE_UNIT;
            ownerPoolOwed += uint96(toOwners); // checked
        }
        if (toSeth == 0 && toOwners == 0) revert NothingToSweep();
        windDownSethBooked = uint96(booked + toSeth); // <= claims
        reserved += uint96(toSeth); // checked
        buffer = uint96(free - toSeth - toOwners); // below the vault's balance
        emit WindDownSwept(free, toSeth, toOwners);
    }

    /// @inheritdoc IVault
    function claimWindDownRedemption(uint256 requestId, address recipient) external override {
        uint256 entitled = _redemptionEntitled(requestId);
        address owner = _requests[requestId].owner;
        if (msg.sender != owner) revert NotRequestOwner(requestId, owner);
        uint256 amount = entitled - _windDownPaid[requestId]; // `entitled` only grows
        if (amount == 0) revert NoWindDownRedemption(requestId);
        _windDownPaid[requestId] = entitled;
        reserved -= uint96(amount); // checked: booked, rounded down per request
        address to = recipient == address(0) ? owner : recipient;
        emit WindDownRedemptionClaimed(requestId, owner, to, amount);

        _sendEth(to, amount);
    }

    /// @inheritdoc IVault
    function windDownRedemptionOf(uint256 requestId) external view override returns (uint256) {
        if (!_windingDown() || requestId <= lastFinalizedId || requestId > lastRequestId) return 0;
        return _redemptionEntitled(requestId) - _windDownPaid[requestId];
    }

    /// @inheritdoc IVault
    function claimWindDownShare(uint256 positionId, address recipient) external override {
        (address holder, address to) = _holderPaying(positionId, recipient);
        WindDownShare storage share = _windDownShares[positionId];
        uint256 entitled = _entitled(share);
        uint256 amount = entitled - share.paid; // `entitled` only grows
        if (amount == 0) revert NoWindDownShare(positionId);
        share.paid = uint128(entitled);
        ownerPoolOwed -= uint96(amount); // checked: the pool was booked rounded up
        emit WindDownShareClaimed(positionId, holder, to, amount);

        _sendEth(to, amount);
    }

    /// @inheritdoc IVault
    function windDownShareOf(uint256 positionId) external view override returns (uint256) {
        WindDownShare storage share = _windDownShares[positionId];
        return _entitled(share) - share.paid;
    }

    // ---- private helpers ------------------------------------------------------------------------

    /// @dev What an unwound position's holders have earned of the owners' share so far, in total.
    function _entitled(WindDownShare storage share) private view returns (uint256) {
        return uint256(share.weightGwei) * ownerPoolPerWeight / SHARE_UNIT;
    }

    /// @dev What wind-down request `requestId` has earned so far, in total: its sETH's share of
    /// what was booked to the sETH outstanding at the start, rounded down (so the requests'
    /// shares never add up to more than was booked: their amounts add up to at most the start's
    /// outstanding sETH, as no sETH is minted once the wind-down started). Reverts unless the
    /// wind-down started and the request was open at its start or made since.
    function _redemptionEntitled(uint256 requestId) private view returns (uint256) {
        if (!_windingDown()) revert NotWindingDown();
        if (requestId <= lastFinalizedId || requestId > lastRequestId) revert RequestNotFinalized(requestId);
        uint256 amount = uint256(_requests[requestId].cumulative) - _requests[requestId - 1].cumulative;
        return amount * windDownSethBooked / windDownSeth; // windDownSeth >= amount > 0
    }

    /// @dev Starts the wind-down if it has not started: only once a notice has stood for
    /// `WIND_DOWN_NOTICE` with no proof accepted since. Fixes the sETH that will share what
    /// arrives (everything outstanding: no sETH is minted and nothing finalized from now on) and
    /// the live debt to unwind.
    function _startWindDown() private {
        uint256 last = lastProofEpoch;
        if (last == WOUND_DOWN) return;
        uint256 noticed = windDownNoticedAt;
        // `lastProofEpoch` only grows: if it moved, a proof was accepted after the notice.
        if (noticed == 0 || windDownNoticeEpoch != last) revert WindDownNotNoticed();
        uint256 earliest = noticed + WIND_DOWN_NOTICE;
        if (block.timestamp < earliest) revert WindDownNoticeRunning(earliest);
        lastProofEpoch = WOUND_DOWN;
        uint256 live = totalLiveDebt;
        uint256 seth = outstanding();
        debtToUnwind = uint96(live);
        windDownSeth = uint96(seth); // everything minted less what was finalized: < 2^96
        emit WindDownStarted(last, live, seth, msg.sender);
    }
}
