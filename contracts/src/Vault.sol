// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IAttestationVerifier} from "./interfaces/IAttestationVerifier.sol";
import {IPositions} from "./interfaces/IPositions.sol";
import {ISETH} from "./interfaces/ISETH.sol";
import {IVault} from "./interfaces/IVault.sol";
import {IWithdrawalVerifier} from "./interfaces/IWithdrawalVerifier.sol";
import {Positions} from "./Positions.sol";
import {SETH} from "./SETH.sol";
import {ValidatorProofs} from "./lib/ValidatorProofs.sol";
import {WithdrawalProofs} from "./lib/WithdrawalProofs.sol";
import {WithdrawalRequests} from "./lib/WithdrawalRequests.sol";

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
contract Vault is IVault {
    // ---- parameters -------------------------------------------------------------------------------

    /// @notice sETH minted per joined validator: 31 ETH.
    uint256 public constant MINT = 31 ether;
    /// @notice A validator whose actual balance is below this (gwei) may be ejected: 31.99 ETH.
    uint64 public constant EJECT_BELOW_GWEI = 31_990_000_000;
    /// @notice sETH paid once to whoever ejects a validator in time: 0.1 sETH.
    uint256 public constant EJECT_REWARD = 0.1 ether;
    /// @notice The smallest balance (gwei) a validator may join with: 32 ETH.
    uint64 public constant MIN_DEPOSIT_GWEI = 32_000_000_000;
    /// @notice Epochs of activity before the consensus layer honours an EIP-7002 exit.
    uint64 public constant SHARD_COMMITTEE_PERIOD = 256;
    /// @notice Slots per epoch (consensus specs, mainnet preset).
    uint64 public constant SLOTS_PER_EPOCH = 32;
    /// @notice Seconds per slot (consensus specs, mainnet configuration).
    uint64 public constant SECONDS_PER_SLOT = 12;
    /// @notice `lastProofEpoch` once the vault winds down: no proof is taken from then on.
    uint32 public constant WOUND_DOWN = type(uint32).max;
    /// @dev Fixed-point unit of `ownerPoolPerWeight` (wei per gwei of weight).
    uint256 private constant SHARE_UNIT = 1e18;
    /// @notice Fixed-point unit of rates: 1e18 is one ETH per sETH.
    uint256 public constant RATE_UNIT = 1e18;
    /// @notice `sha256("lsv/keygen/v1")`: the domain tag that opens every key-generation binding.
    bytes32 public constant DOMAIN_TAG = 0xf6d52f1e769e8857a0d4b4b7e63ad09895559a028be941a07b52e36e3b2631b0;

    /// @notice The attestation verifier, fixed at deployment.
    IAttestationVerifier public immutable VERIFIER;
    /// @notice The sETH token this vault deployed and alone mints and burns.
    ISETH public immutable SETH_TOKEN;
    /// @notice The positions token this vault deployed and alone mints.
    IPositions public immutable POSITIONS;
    /// @notice The beacon chain's genesis time (the proofs' anchor).
    uint64 public immutable GENESIS_TIME;
    /// @notice The beacon chain's genesis validators root (the proofs' anchor; bound by attestations).
    bytes32 public immutable GENESIS_VALIDATORS_ROOT;
    /// @notice The fork versions whose state layout the proofs may use, packed (`ValidatorProofs.Anchor`).
    bytes32 public immutable FORK_VERSIONS;
    /// @notice The largest number of validators that may ever join.
    uint256 public immutable MAX_VALIDATORS;
    /// @notice An inactivity score above this makes a validator ejectable.
    uint64 public immutable INACTIVITY_TRIGGER;
    /// @notice Blocks after which an exit request for the same validator may be sent again.
    uint256 public immutable EXIT_RESEND_BLOCKS;
    /// @notice The smallest redemption request, in sETH wei.
    uint256 public immutable MIN_REDEEM;
    /// @notice Hash of the signer's policy, bound by every attestation.
    bytes32 public immutable POLICY_HASH;
    /// @notice `0x02 ‖ 0^11 ‖ address(this)`: the credentials every joined validator must have.
    bytes32 public immutable WITHDRAWAL_CREDENTIALS;
    /// @notice The withdrawal-proof verifier for the same beacon chain, fixed at deployment.
    IWithdrawalVerifier public immutable WITHDRAWAL_VERIFIER;
    /// @notice Seconds without an accepted proof after which anyone may start the wind-down, and
    /// the wind-down's wait for arriving ETH before it is final.
    uint256 public immutable WIND_DOWN_DELAY;

    // ---- state --------------------------------------------------------------------------------

    /// @dev A redemption request: its owner (zero once claimed) and the running total of all
    /// requests up to and including it.
    struct Request {
        address owner;
        uint96 cumulative;
    }

    /// @dev Requests `(previous checkpoint's lastRequestId, lastRequestId]` were finalized at `rate`.
    struct Checkpoint {
        uint128 lastRequestId;
        uint128 rate;
    }

    /// @notice ETH backing sETH that is not owed to a finalized request (wei).
    uint96 public buffer;
    /// @notice ETH owed to finalized, unclaimed requests (wei; may keep rounding dust).
    uint96 public reserved;
    /// @notice Sum of `residualOf` over all positions, in gwei (residuals are whole gwei: a
    /// withdrawal's amount less a debt of whole gwei): owed to holders, not backing.
    uint64 public residualTotalGwei;
    /// @notice Sum of the debt of every position not yet settled (wei).
    uint96 public totalLiveDebt;
    /// @notice Sum of the debt of positions proven exiting (wei).
    uint96 public exitingDebt;
    /// @notice The number of positions ever created (= the highest position id).
    uint32 public positionCount;
    /// @notice The number of eject rewards ever paid.
    uint32 public rewardCount;
    /// @notice Sum of the provisional losses recorded by proofs (wei; at most `totalLiveDebt`).
    uint96 public provisionalShortfall;
    /// @dev The demand-exit cursor; 0 stands for position 1.
    uint32 private _demandCursor;
    /// @notice The newest epoch of a beacon state any accepted validator proof showed (at
    /// deployment: the epoch then); `WOUND_DOWN` once the wind-down started.
    uint32 public lastProofEpoch;
    /// @notice Sum of the debt of `Active` positions whose exit was requested (`eject`,
    /// `demandExit`) and not yet proven exiting: those with `exitRequested` set (wei).
    uint96 public pendingExitDebt;
    /// @notice The id of the newest redemption request (0: none yet).
    uint64 public lastRequestId;
    /// @notice The id of the newest finalized request (0: none yet).
    uint64 public lastFinalizedId;
    /// @notice The running total of all redemption requests ever made (sETH wei).
    uint96 public requestedTotal;
    /// @notice The number of finalization checkpoints (at most one per `finalize`).
    uint32 public checkpointCount;
    /// @notice When the wind-down started (unix time; 0: it has not).
    uint40 public windDownStartedAt;
    /// @notice Sum of the unwound positions' weights (gwei of last proven residual).
    uint96 public windDownWeight;
    /// @notice Whether `finishWindDown` has run.
    bool public windDownFinished;
    /// @notice Live debt at the wind-down's start not yet unwound (wei); the owners' share is
    /// paid only once it is zero.
    uint96 public debtToUnwind;
    /// @notice Booked to the owners' share and not yet claimed (wei).
    uint96 public ownerPoolOwed;
    /// @notice Wei per gwei of weight booked to the owners' share so far, in `SHARE_UNIT`s.
    uint256 public ownerPoolPerWeight;

    /// @dev An unwound position's weight and what its holders were paid of the owners' share.
    struct WindDownShare {
        uint128 weightGwei;
        uint128 paid;
    }

    mapping(uint256 requestId => Request) private _requests;
    mapping(uint256 checkpoint => Checkpoint) private _checkpoints;
    mapping(uint256 positionId => Position) private _positions;
    /// @inheritdoc IVault
    mapping(bytes32 pubkeyHash => uint256 positionId) public override positionIdOf;
    /// @inheritdoc IVault
    mapping(uint256 positionId => uint256 wei_) public override residualOf;
    /// @dev Bit `i % 256` of word `i / 256` is set once withdrawal index `i` was credited.
    mapping(uint256 word => uint256 bits) private _creditedWithdrawals;
    mapping(uint256 positionId => WindDownShare) private _windDownShares;

    /// @notice A constructor argument is unusable; `index` is its position (0-based).
    error InvalidConstructorArgument(uint256 index);
    /// @notice The queue's running total would exceed 2^96 - 1 wei.
    error QueueTotalOverflow();

    /// @notice Deploys the vault with its parameters and creates its sETH and positions tokens.
    /// @param verifier The attestation verifier (not zero).
    /// @param anchor The beacon chain's genesis time, genesis validators root and known fork versions.
    /// @param maxValidators `MAX_VALIDATORS` (not zero).
    /// @param inactivityTrigger `INACTIVITY_TRIGGER`.
    /// @param exitResendBlocks `EXIT_RESEND_BLOCKS` (not zero).
    /// @param minRedeem `MIN_REDEEM` (not zero).
    /// @param policyHash `POLICY_HASH`.
    /// @param withdrawalVerifier `WITHDRAWAL_VERIFIER`: anchored to the same genesis and forks.
    /// @param windDownDelay `WIND_DOWN_DELAY` (not zero).
    constructor(
        IAttestationVerifier verifier,
        ValidatorProofs.Anchor memory anchor,
        uint256 maxValidators,
        uint64 inactivityTrigger,
        uint256 exitResendBlocks,
        uint256 minRedeem,
        bytes32 policyHash,
        IWithdrawalVerifier withdrawalVerifier,
        uint256 windDownDelay
    ) {
        if (address(verifier) == address(0)) revert InvalidConstructorArgument(0);
        if (anchor.forkVersions == bytes32(0)) revert InvalidConstructorArgument(1);
        // Position ids and counts are 32-bit: four billion validators, 2^32 * 32 ETH above supply.
        if (maxValidators == 0 || maxValidators > type(uint32).max) revert InvalidConstructorArgument(2);
        if (exitResendBlocks == 0) revert InvalidConstructorArgument(4);
        if (minRedeem == 0) revert InvalidConstructorArgument(5);
        if (
            address(withdrawalVerifier).code.length == 0 || withdrawalVerifier.GENESIS_TIME() != anchor.genesisTime
                || withdrawalVerifier.GENESIS_VALIDATORS_ROOT() != anchor.genesisValidatorsRoot
                || withdrawalVerifier.FORK_VERSIONS() != anchor.forkVersions
        ) revert InvalidConstructorArgument(7);
        if (windDownDelay == 0) revert InvalidConstructorArgument(8);
        WIND_DOWN_DELAY = windDownDelay;
        // Silence is counted from deployment, not from genesis: a vault deployed long after
        // genesis must not be open to a wind-down before its first join.
        if (block.timestamp > anchor.genesisTime) {
            lastProofEpoch = uint32((block.timestamp - anchor.genesisTime) / (SECONDS_PER_SLOT * SLOTS_PER_EPOCH));
        }
        WITHDRAWAL_VERIFIER = withdrawalVerifier;
        VERIFIER = verifier;
        GENESIS_TIME = anchor.genesisTime;
        GENESIS_VALIDATORS_ROOT = anchor.genesisValidatorsRoot;
        FORK_VERSIONS = anchor.forkVersions;
        MAX_VALIDATORS = maxValidators;
        INACTIVITY_TRIGGER = inactivityTrigger;
        EXIT_RESEND_BLOCKS = exitResendBlocks;
        MIN_REDEEM = minRedeem;
        POLICY_HASH = policyHash;
        WITHDRAWAL_CREDENTIALS = bytes32(uint256(uint160(address(this))) | (uint256(2) << 248));
        SETH_TOKEN = new SETH();
        POSITIONS = new Positions();
    }

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
        uint64 count = positionCount;
        if (count >= MAX_VALIDATORS) revert PoolFull(MAX_VALIDATORS);
        ValidatorProofs.Proven memory p = _provenForJoin(pubkey, validatorIndex, timestamp, proof);
        if (!VERIFIER.verifyKeyGeneration(_binding(pubkey, owner), evidence)) revert AttestationInvalid();

        unchecked {
            positionId = count + 1; // count < MAX_VALIDATORS
        }
        _noteProof(p.slot);
        Position storage pos = _positions[positionId];
        pos.validatorIndex = uint40(validatorIndex); // proven: an index of the registry, below 2^40
        pos.activationEpoch = p.activationEpoch;
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
        return _debt(pos.rewardPaid);
    }

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

    // ---- settlement -----------------------------------------------------------------------------

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
            ValidatorProofs.verifyAt(validatorProof, validatorIndex, validatorTimestamp, _anchor());
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
        uint256 amount = uint256(_requests[upToRequestId].cumulative) - _requests[lastFinalized].cumulative;
        uint256 rate = _rate();
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

    /// @inheritdoc IVault
    function outstanding() public view override returns (uint256) {
        // Minted: MINT per position, EJECT_REWARD per reward; only finalization ends a claim.
        uint256 minted = uint256(positionCount) * MINT + uint256(rewardCount) * EJECT_REWARD;
        return minted - _requests[lastFinalizedId].cumulative;
    }

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
    function _entitled(WindDownShare storage share) private view returns (uint256) {
        return uint256(share.weightGwei) * ownerPoolPerWeight / SHARE_UNIT;
    }

    /// @dev The holder of position `positionId`, who alone may claim what it is owed, and where
    /// the payment goes: `recipient`, or the holder if that is zero.
    function _holderPaying(uint256 positionId, address recipient) private view returns (address holder, address to) {
        holder = POSITIONS.ownerOf(positionId);
        if (msg.sender != holder) revert NotPositionOwner(positionId, holder);
        to = recipient == address(0) ? holder : recipient;
    }

    /// @dev Starts the wind-down if it has not started: only after `WIND_DOWN_DELAY` seconds past
    /// the end of `lastProofEpoch`.
    function _startWindDown() private {
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

    // ---- internals ----------------------------------------------------------------------------

    /// @dev The debt of a live position: `MINT`, plus `EJECT_REWARD` once the reward was paid.
    function _debt(bool rewardPaid) private pure returns (uint256) {
        return rewardPaid ? MINT + EJECT_REWARD : MINT;
    }

    /// @dev The anchor for `ValidatorProofs`, from the immutables.
    function _anchor() private view returns (ValidatorProofs.Anchor memory) {
        return ValidatorProofs.Anchor(GENESIS_TIME, GENESIS_VALIDATORS_ROOT, FORK_VERSIONS);
    }

    /// @dev Verifies a join proof and every condition on what it proves (all but the attestation).
    function _provenForJoin(bytes calldata pubkey, uint64 validatorIndex, uint256 timestamp, bytes calldata proof)
        private
        view
        returns (ValidatorProofs.Proven memory p)
    {
        p = ValidatorProofs.verifyAt(proof, validatorIndex, timestamp, _anchor());
        if (!p.hasBalance) revert BalanceNotProven();
        if (p.pubkeyHead != bytes32(pubkey[0:32]) || p.pubkeyTail != bytes16(pubkey[32:48])) revert PubkeyMismatch();
        if (p.withdrawalCredentials != WITHDRAWAL_CREDENTIALS) {
            revert WrongWithdrawalCredentials(p.withdrawalCredentials, WITHDRAWAL_CREDENTIALS);
        }
        if (p.slashed) revert ValidatorSlashed();
        if (p.exitEpoch != ValidatorProofs.FAR_FUTURE_EPOCH) revert ValidatorExiting(p.exitEpoch);
        if (p.balance < MIN_DEPOSIT_GWEI) revert BalanceTooLow(p.balance, MIN_DEPOSIT_GWEI);
    }

    /// @dev Position `positionId`, which must be `Active` (`activeOnly`) or live (`Active` or
    /// `Exiting`).
    function _positionIn(uint256 positionId, bool activeOnly) private view returns (Position storage pos) {
        pos = _positions[positionId];
        Status status = pos.status;
        if (status != Status.Active && (activeOnly || status != Status.Exiting)) {
            revert InvalidPositionStatus(positionId, status);
        }
    }

    /// @dev Verifies a proof of `pos`'s validator against the 4788 root for `timestamp`, checks the
    /// proven key is the one registered as `positionId` and that the state is no older than the
    /// newest recorded, then records its slot and activation epoch.
    function _prove(uint256 positionId, Position storage pos, uint256 timestamp, bytes calldata proof)
        private
        returns (ValidatorProofs.Proven memory p)
    {
        p = ValidatorProofs.verifyAt(proof, pos.validatorIndex, timestamp, _anchor());
        uint256 proven = _positionIdOf(p);
        if (proven != positionId) revert WrongPosition(positionId, proven);
        uint64 last = pos.lastProofSlot;
        if (p.slot < last) revert StaleProof(p.slot, last);
        _noteProof(p.slot);
        pos.lastProofSlot = uint40(p.slot); // a real slot: 2^40 slots are 400,000 years
        pos.activationEpoch = p.activationEpoch;
        if (p.hasBalance) pos.lastBalanceGwei = _capped(p.balance);
    }

    /// @dev Records that a validator proof of state `slot` was accepted: `lastProofEpoch` keeps
    /// the newest epoch seen. Reverts with `WindingDown` once the wind-down started: from then on
    /// the vault takes no proof (a late one must not reopen what the wind-down has divided).
    function _noteProof(uint64 slot) private {
        uint256 last = lastProofEpoch;
        if (last == WOUND_DOWN) revert WindingDown();
        uint256 epoch = slot / SLOTS_PER_EPOCH;
        if (epoch > last) lastProofEpoch = uint32(epoch); // below 2^32 - 1 for 52,000 years
    }

    /// @dev A proven balance as `Position.lastBalanceGwei` stores it.
    function _capped(uint64 balanceGwei) private pure returns (uint48) {
        return balanceGwei > type(uint48).max ? type(uint48).max : uint48(balanceGwei);
    }

    /// @dev The proven validator's 48-byte key.
    function _pubkey(ValidatorProofs.Proven memory p) private pure returns (bytes memory) {
        return abi.encodePacked(p.pubkeyHead, p.pubkeyTail);
    }

    /// @dev Reverts with `ExitRequestTooSoon` if a request was sent less than `EXIT_RESEND_BLOCKS` ago.
    function _checkResend(uint256 positionId, Position storage pos) private view {
        if (_recentlyRequested(pos)) {
            uint256 last = pos.lastExitRequestBlock;
            revert ExitRequestTooSoon(positionId, last, last + EXIT_RESEND_BLOCKS);
        }
    }

    /// @dev Whether an exit request was sent for `pos` less than `EXIT_RESEND_BLOCKS` blocks ago.
    function _recentlyRequested(Position storage pos) private view returns (bool) {
        uint256 last = pos.lastExitRequestBlock;
        return last != 0 && block.number < last + EXIT_RESEND_BLOCKS;
    }

    /// @dev Full epochs the proven validator has been active at the proven slot (0 if not yet).
    function _epochsActive(ValidatorProofs.Proven memory p) private pure returns (uint256) {
        uint256 epoch = p.slot / SLOTS_PER_EPOCH;
        return epoch > p.activationEpoch ? epoch - p.activationEpoch : 0;
    }

    /// @dev Why the proven validator cannot be asked to exit (`Eligible` if it can).
    function _ineligibility(ValidatorProofs.Proven memory p) private pure returns (SkipReason) {
        if (p.exitEpoch != ValidatorProofs.FAR_FUTURE_EPOCH) return SkipReason.Exiting;
        if (p.activationEpoch > p.slot / SLOTS_PER_EPOCH) return SkipReason.NotYetActive;
        if (_epochsActive(p) < SHARD_COMMITTEE_PERIOD) return SkipReason.ActiveTooShort;
        return SkipReason.Eligible;
    }

    /// @dev `Active` -> `Exiting`: the position's debt joins `exitingDebt`, leaving
    /// `pendingExitDebt` if its exit was requested (the flag is cleared); a proven balance also
    /// re-marks its shortfall.
    function _setExiting(uint256 positionId, Position storage pos, ValidatorProofs.Proven memory p) private {
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
    function _markToProof(uint256 positionId, uint256 timestamp, bytes calldata proof, bool slashed) private {
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
    function _markShortfall(uint256 positionId, Position storage pos, ValidatorProofs.Proven memory p) private {
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
    function _demand() private view returns (uint256 open, uint256 covered) {
        open = uint256(requestedTotal) - _requests[lastFinalizedId].cumulative;
        covered = uint256(buffer) + exitingDebt + pendingExitDebt;
    }

    /// @dev Checks `positionId` is the cursor's and returns the cursor after it (wrapping to 1).
    function _atCursor(uint256 positionId) private view returns (uint256 next) {
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
    ) private {
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

    /// @dev Records the request's block and sends the EIP-7002 full exit for `pubkey`, paying
    /// exactly the fee read (at most `min(maxFee, msg.value)`) out of `msg.value`; refunds the
    /// rest to the caller, last.
    function _sendExitRequest(
        uint256 positionId,
        Position storage pos,
        bytes memory pubkey,
        uint256 maxFee,
        uint256 pending
    ) private {
        pos.lastExitRequestBlock = uint40(block.number);
        uint256 cap = maxFee < msg.value ? maxFee : msg.value;
        uint256 fee = WithdrawalRequests.request(pubkey, WithdrawalRequests.FULL_EXIT, cap);
        emit ExitRequested(positionId, msg.sender, fee, pending);
        uint256 refund = msg.value - fee;
        if (refund != 0) _sendEth(msg.sender, refund);
    }

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

    /// @dev Closes a live position on a withdrawal of `amount` wei (`settle`'s effects): its debt
    /// leaves the live totals, `min(amount, debt)` joins the buffer, the rest is owed to the
    /// holder, the unrepaid debt is recorded, the provisional shortfall dropped.
    function _close(uint256 positionId, Position storage pos, uint64 withdrawalIndex, uint256 amount) private {
        uint256 debt = _debt(pos.rewardPaid);
        Status status = pos.status;
        pos.status = Status.Closed;
        totalLiveDebt -= uint96(debt); // checked: the position's debt is part of it
        if (status == Status.Exiting) exitingDebt -= uint96(debt);
        if (pos.exitRequested) {
            pos.exitRequested = false;
            pendingExitDebt -= uint96(debt);
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
    /// and marks its global index credited (each once). Returns it and its amount in wei.
    function _creditOnce(uint256 timestamp, bytes calldata proof, uint64 validatorIndex)
        private
        returns (WithdrawalProofs.Proven memory w, uint256 amount)
    {
        if (lastProofEpoch == WOUND_DOWN) revert WindingDown();
        w = WITHDRAWAL_VERIFIER.verifyWithdrawal(proof, timestamp);
        if (w.withdrawalAddress != address(this)) revert WithdrawalNotToVault(w.withdrawalAddress);
        if (w.validatorIndex != validatorIndex) revert WithdrawalOfAnotherValidator(w.validatorIndex, validatorIndex);
        uint256 word = w.index >> 8;
        uint256 bit = 1 << (w.index & 0xff);
        uint256 bits = _creditedWithdrawals[word];
        if (bits & bit != 0) revert WithdrawalAlreadyCredited(w.index);
        _creditedWithdrawals[word] = bits | bit;
        amount = uint256(w.amount) * 1 gwei;
    }

    /// @dev The position of the proven validator's key (0: it never joined).
    function _positionIdOf(ValidatorProofs.Proven memory p) private view returns (uint256) {
        return positionIdOf[keccak256(abi.encodePacked(p.pubkeyHead, p.pubkeyTail))];
    }

    /// @dev Sends `amount` wei to `to`, last in every function that pays; reverts the whole call
    /// with `EthTransferFailed` if `to` refuses it.
    function _sendEth(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert EthTransferFailed(to, amount);
    }

    /// @dev Owes `amount` more wei to position `positionId`'s holder. The running total lets the
    /// wind-down tell owed ETH from ETH that arrived without proof.
    function _owe(uint256 positionId, uint256 amount) private {
        residualOf[positionId] += amount;
        residualTotalGwei += uint64(amount / 1 gwei); // whole gwei (see `residualTotalGwei`); checked
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
