// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {VaultBase} from "./VaultBase.sol";
import {IVault} from "../interfaces/IVault.sol";

/// @title VaultWindDown
abstract contract VaultWindDown is VaultBase {

    // ---- wind-down ------------------------------------------------------------------------------

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
            uint256 debt = _debt(pos.rewardPaid);
            uint256 weight;
            uint256 left = debtToUnwind;
            if (!windDownFinished) {
                // Every live position's debt is in `debtToUnwind` until it is unwound.
                left -= debt;
                debtToUnwind = uint96(left);
                uint256 balance = uint256(pos.lastBalanceGwei) * 1 gwei;
                weight = balance > debt ? (balance - debt) / 1 gwei : 0;
                if (weight != 0) {
                    _windDownShares[positionId].weightGwei = uint128(weight);
                    windDownWeight += uint96(weight); // checked
                }
            }
            // After `finishWindDown` the owners' share is closed: a late position only exits.
            emit PositionUnwound(positionId, msg.sender, weight, left);
            if (status == Status.Exiting) {
                // Proven exiting already: no request to send.
                if (msg.value != 0) _sendEth(msg.sender, msg.value);
                return;
            }
        }
        _sendExitRequest(positionId, pos, pubkey, maxFee, pendingExitDebt);
    }

    /// @inheritdoc IVault
    function sweepWindDown() external override {
        if (windDownStartedAt == 0) revert NotWindingDown();
        uint256 buf = buffer;
        uint256 held = buf + reserved + uint256(residualTotalGwei) * 1 gwei + ownerPoolOwed;
        uint256 balance = address(this).balance;
        uint256 arrived = balance > held ? balance - held : 0;
        // The queue first: every outstanding sETH at par.
        uint256 owed = outstanding();
        uint256 need = owed > buf ? owed - buf : 0;
        uint256 toQueue = arrived < need ? arrived : need;
        uint256 rest = arrived - toQueue;
        uint256 toOwners;
        if (rest != 0 && debtToUnwind == 0) {
            // Then the owners, once every live position is counted (else the rest waits).
            uint256 weight = windDownWeight;
            if (weight == 0) {
                toQueue = arrived; // no owner has a residual: backing keeps it
            } else {
                uint256 perWeight = rest * SHARE_UNIT / weight;
                ownerPoolPerWeight += perWeight;
                // Rounded up, so the holders' rounded-down claims never exceed it; <= rest.
                toOwners = (perWeight * weight + SHARE_UNIT - 1) / SHARE_UNIT;
                ownerPoolOwed += uint96(toOwners); // checked
            }
        }
        if (toQueue == 0 && toOwners == 0) revert NothingToSweep();
        buffer = uint96(buf + toQueue); // below the vault's balance
        // What arrives for the queue is the live debt coming home: backing must not count both.
        uint256 live = totalLiveDebt;
        uint256 repaid = toQueue < live ? toQueue : live;
        if (repaid != 0) {
            live -= repaid;
            totalLiveDebt = uint96(live);
            if (provisionalShortfall > live) provisionalShortfall = uint96(live);
        }
        emit WindDownSwept(arrived, toQueue, toOwners);
    }

    /// @inheritdoc IVault
    function finishWindDown() external override {
        uint256 started = windDownStartedAt;
        if (started == 0) revert NotWindingDown();
        uint256 earliest = started + WIND_DOWN_DELAY;
        if (block.timestamp < earliest || windDownFinished) revert WindDownNotOver(earliest);
        uint256 writtenOff = totalLiveDebt;
        uint256 notUnwound = debtToUnwind;
        windDownFinished = true;
        totalLiveDebt = 0;
        provisionalShortfall = 0;
        debtToUnwind = 0;
        emit WindDownFinished(writtenOff, notUnwound);
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

    /// @dev What an unwound position's holders have earned of the owners' share so far, in total.
    function _entitled(WindDownShare storage share) internal view returns (uint256) {
        return uint256(share.weightGwei) * ownerPoolPerWeight / SHARE_UNIT;
    }

    /// @dev Starts the wind-down if it has not started: only after `WIND_DOWN_DELAY` seconds past
    /// the end of `lastProofEpoch`.
    function _startWindDown() internal {
        uint256 last = lastProofEpoch;
        if (last == WOUND_DOWN) return;
        uint256 earliest =
            uint256(GENESIS_TIME) + (last + 1) * SLOTS_PER_EPOCH * SECONDS_PER_SLOT + WIND_DOWN_DELAY;
        if (block.timestamp < earliest) revert ProofsNotSilent(earliest);
        lastProofEpoch = WOUND_DOWN;
        windDownStartedAt = uint40(block.timestamp);
        uint256 live = totalLiveDebt;
        debtToUnwind = uint96(live);
        emit WindDownStarted(last, live, msg.sender);
    }
}
