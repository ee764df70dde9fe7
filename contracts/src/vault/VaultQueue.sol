// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {VaultBase} from "./VaultBase.sol";
import {IVault} from "../interfaces/IVault.sol";

/// @title VaultQueue
/// @notice The first-come-first-served redemption queue: sETH is burned into a request, requests
/// are finalized in order at the rate in force (a checkpoint per rate, running totals so that
/// nothing loops over requests), and each is claimed once.
abstract contract VaultQueue is VaultBase {
    // ---- queue ----------------------------------------------------------------------------------

    /// @inheritdoc IVault
    function requestRedeem(uint256 amount) external override returns (uint256 requestId) {
        return _requestRedeem(amount);
    }

    /// @inheritdoc IVault
    function finalize(uint256 upToRequestId) external override {
        uint256 lastFinalized = lastFinalizedId;
        uint256 lastRequest = lastRequestId;
        if (upToRequestId <= lastFinalized || upToRequestId > lastRequest) {
            revert InvalidFinalizeTarget(upToRequestId, lastFinalized, lastRequest);
        }
        if (_windingDown()) revert WindingDown(); // the wind-down pays pro rata instead
        uint256 amount = uint256(_requests[upToRequestId].cumulative) - _requests[lastFinalized].cumulative;
        uint256 rate = _rate();
        // A slashed validator's correlation penalty is not known before `process_slashings`; its
        // worst case is in the rate. Finalizing below par on a guess would lock a loss that may
        // never happen into these requests, so the queue waits for the outcome instead.
        if (rate < RATE_UNIT) {
            uint256 pending = slashingsPending;
            if (pending != 0) revert SlashingPenaltyPending(pending);
        }
        uint256 eth = amount * rate / RATE_UNIT; // rounds down: the pool's favour
        uint256 buf = buffer;
        if (eth > buf) revert InsufficientBuffer(eth, buf);

        uint256 checkpoint = checkpointCount;
        if (checkpoint != 0 && _checkpoints[checkpoint].rate == rate) {
            // Same rate as the last batch: extend its checkpoint instead of writing a new one.
            _checkpoints[checkpoint].lastRequestId = uint128(upToRequestId);
        } else {
            unchecked {
                ++checkpoint; // at most one per request
            }
            _checkpoints[checkpoint] = Checkpoint(uint128(upToRequestId), uint128(rate));
            checkpointCount = uint32(checkpoint); // one per finalize call: 2^32 is out of reach
        }
        unchecked {
            buffer = uint96(buf - eth); // eth <= buf
        }
        reserved += uint96(eth);
        lastFinalizedId = uint64(upToRequestId);
        emit Finalized(lastFinalized + 1, upToRequestId, checkpoint, amount, eth, rate);
    }

    /// @inheritdoc IVault
    function claim(uint256 requestId, uint256 checkpointHint) external override {
        _claim(requestId, checkpointHint, address(0));
    }

    /// @inheritdoc IVault
    function claimTo(uint256 requestId, uint256 checkpointHint, address recipient) external override {
        if (recipient == address(0)) revert InvalidOwner(recipient);
        _claim(requestId, checkpointHint, recipient);
    }

    /// @inheritdoc IVault
    function findCheckpoint(uint256 requestId) external view override returns (uint256) {
        if (requestId == 0 || requestId > lastFinalizedId) return 0;
        uint256 lo = 1;
        uint256 hi = checkpointCount;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (_checkpoints[mid].lastRequestId >= requestId) hi = mid;
            else lo = mid + 1;
        }
        return lo;
    }

    /// @inheritdoc IVault
    function claimable(uint256 requestId, uint256 checkpointHint) external view override returns (uint256) {
        if (requestId == 0 || requestId > lastFinalizedId) return 0;
        Request memory request = _requests[requestId];
        if (request.owner == address(0)) return 0;
        return _payout(requestId, request.cumulative, _rateAt(requestId, checkpointHint));
    }

    /// @notice Request `requestId`: its owner (zero once claimed, or if it does not exist) and the
    /// running total of all requests up to and including it.
    /// @param requestId The request.
    /// @return owner The owner.
    /// @return cumulative The running total in sETH wei.
    function requestOf(uint256 requestId) external view returns (address owner, uint256 cumulative) {
        Request memory request = _requests[requestId];
        return (request.owner, request.cumulative);
    }

    /// @notice Finalization checkpoint `index` (1-based).
    /// @param index The checkpoint.
    /// @return last The last request it covers.
    /// @return rate Its rate (1e18 = 1 ETH per sETH).
    function checkpointOf(uint256 index) external view returns (uint256 last, uint256 rate) {
        Checkpoint memory c = _checkpoints[index];
        return (c.lastRequestId, c.rate);
    }

    /// @inheritdoc IVault
    function backing() public view override returns (uint256) {
        uint256 gross = uint256(buffer) + totalLiveDebt;
        uint256 shortfall = provisionalShortfall;
        return gross > shortfall ? gross - shortfall : 0;
    }

    // ---- private helpers ------------------------------------------------------------------------

    /// @dev Pays request `requestId` to its owner (`recipient` zero) or, at the owner's call, to
    /// `recipient`.
    function _claim(uint256 requestId, uint256 checkpointHint, address recipient) private {
        if (requestId == 0 || requestId > lastFinalizedId) revert RequestNotFinalized(requestId);
        Request memory request = _requests[requestId];
        if (request.owner == address(0)) revert AlreadyClaimed(requestId);
        if (recipient == address(0)) recipient = request.owner;
        else if (msg.sender != request.owner) revert NotRequestOwner(requestId, request.owner);
        uint256 amount = _payout(requestId, request.cumulative, _rateAt(requestId, checkpointHint));
        _requests[requestId].owner = address(0);
        reserved -= uint96(amount); // checked: the batch reserved at least the sum of its payouts
        emit Claimed(requestId, request.owner, recipient, amount);

        _sendEth(recipient, amount);
    }

    /// @dev Appends a request of `amount` for the caller and burns that much of its sETH: the
    /// request is the claim from now on (`outstanding` counts it until finalized).
    function _requestRedeem(uint256 amount) private returns (uint256 requestId) {
        if (amount < MIN_REDEEM) revert RedeemTooSmall(amount, MIN_REDEEM);
        uint256 cumulative = requestedTotal + amount;
        if (cumulative > type(uint96).max) revert QueueTotalOverflow();
        unchecked {
            requestId = uint256(lastRequestId) + 1; // below 2^64: each request adds >= MIN_REDEEM > 0 to a 96-bit total
        }
        _requests[requestId] = Request(msg.sender, uint96(cumulative));
        lastRequestId = uint64(requestId);
        requestedTotal = uint96(cumulative);
        emit RedeemRequested(requestId, msg.sender, amount, cumulative);

        SETH_TOKEN.burnFrom(msg.sender, amount);
    }

    /// @dev The rate in force: `min(1, backing / outstanding)` in `RATE_UNIT`s, rounded down.
    /// `outstanding` counts the sETH of open requests: they are claims on the backing.
    function _rate() private view returns (uint256) {
        uint256 owed = outstanding();
        uint256 b = backing();
        if (b >= owed) return RATE_UNIT;
        return b * RATE_UNIT / owed;
    }

    /// @dev The rate of checkpoint `hint` after checking it covers `requestId`.
    function _rateAt(uint256 requestId, uint256 hint) private view returns (uint256) {
        if (hint == 0 || hint > checkpointCount) revert InvalidCheckpointHint(requestId, hint);
        Checkpoint memory c = _checkpoints[hint];
        if (requestId > c.lastRequestId || (hint > 1 && _checkpoints[hint - 1].lastRequestId >= requestId)) {
            revert InvalidCheckpointHint(requestId, hint);
        }
        return c.rate;
    }

    /// @dev What request `requestId` with running total `cumulative` pays at `rate`, rounded down.
    function _payout(uint256 requestId, uint256 cumulative, uint256 rate) private view returns (uint256) {
        return (cumulative - _requests[requestId - 1].cumulative) * rate / RATE_UNIT;
    }
}
