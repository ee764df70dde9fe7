// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IAttestationVerifier} from "../interfaces/IAttestationVerifier.sol";
import {IPositions} from "../interfaces/IPositions.sol";
import {ISETH} from "../interfaces/ISETH.sol";
import {IVault} from "../interfaces/IVault.sol";
import {IProofVerifier} from "../interfaces/IProofVerifier.sol";
import {Positions} from "../Positions.sol";
import {SETH} from "../SETH.sol";
import {ValidatorProofs} from "../lib/ValidatorProofs.sol";
import {WithdrawalRequests} from "../lib/WithdrawalRequests.sol";

/// @title VaultBase
/// @notice What every phase of the vault shares: its parameters, its storage, its constructor and
/// the helpers more than one phase calls. `Vault` is this plus one abstract contract per
/// lifecycle phase (`VaultJoin`, `VaultQueue`, `VaultExits`, `VaultSettlement`,
/// `VaultWindDown`), each with its entry points and its own private helpers.
/// @dev Accounting never reads `address(this).balance` outside the wind-down: ETH is either in
/// `buffer` (backing, free to finalize requests with), in `reserved` (owed to finalized requests,
/// or booked to wind-down requests), owed to holders (`residualTotalGwei`, `ownerPoolOwed`), or
/// arrived without proof. Backing of sETH is `buffer + totalLiveDebt - provisionalShortfall`
/// (docs/DESIGN.md, "Invariant"). Storage is packed on purpose: each `// slot N` below is one
/// 32-byte word whose fields the same calls read and write together.
abstract contract VaultBase is IVault {
    // ---- parameters -------------------------------------------------------------------------------

    /// @notice sETH minted per joined validator: 31 ETH.
    uint256 public constant MINT = 31 ether;
    /// @notice A validator whose actual balance is below this (gwei) may be ejected: 31.99 ETH.
    uint64 public constant EJECT_BELOW_GWEI = 31_990_000_000;
    /// @notice The most sETH paid to whoever ejects a validator in time: 0.1 sETH (less when the
    /// proven balance exceeds `MINT` by less).
    uint256 public constant EJECT_REWARD = 0.1 ether;
    /// @notice The smallest balance (gwei) a validator may join with: 32 ETH.
    uint64 public constant MIN_DEPOSIT_GWEI = 32_000_000_000;
    /// @dev `MAX_SEED_LOOKAHEAD` (phase0 preset, the same in every preset): an activation
    /// scheduled in epoch `e` takes effect at `compute_activation_exit_epoch(e) = e + 1 +
    /// MAX_SEED_LOOKAHEAD`.
    uint64 internal constant MAX_SEED_LOOKAHEAD = 4;
    /// @notice How long a notice of the wind-down stands before the wind-down may start: a week
    /// for anyone who relies on the vault (a holder, an owner, a keeper) to answer the notice's
    /// event with one accepted proof.
    uint256 public constant WIND_DOWN_NOTICE = 7 days;
    /// @notice The shortest `WIND_DOWN_DELAY` a vault may be deployed with: 30 days, longer than
    /// any quiet spell of a vault that anyone watches (a keeper's heartbeat is daily, an
    /// owner's or holder's costs one proof).
    uint256 public constant MIN_WIND_DOWN_DELAY = 30 days;
    /// @notice `lastProofEpoch` once the vault winds down: no proof is taken from then on.
    uint32 public constant WOUND_DOWN = type(uint32).max;
    /// @dev Fixed-point unit of `ownerPoolPerWeight` (wei per gwei of weight).
    uint256 internal constant SHARE_UNIT = 1e18;
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
    /// @notice Live debt is capped at `MAX_VALIDATORS * MINT`: what the pool can lose if the
    /// enclaves of its validators are broken is bounded by it (docs/DESIGN.md).
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
    /// @notice The verifier of validator and withdrawal proofs for the same beacon chain, fixed at
    /// deployment.
    IProofVerifier public immutable PROOF_VERIFIER;
    /// @notice Seconds without an accepted proof after which anyone may give notice of the
    /// wind-down (at least `MIN_WIND_DOWN_DELAY`).
    uint256 public immutable WIND_DOWN_DELAY;
    /// @notice Seconds per slot of the beacon chain (`SECONDS_PER_SLOT`, its configuration;
    /// mainnet: 12).
    uint64 public immutable SECONDS_PER_SLOT;
    /// @notice Slots per epoch (`SLOTS_PER_EPOCH`, its preset; mainnet: 32).
    uint64 public immutable SLOTS_PER_EPOCH;
    /// @notice Epochs of activity before the consensus layer honours an EIP-7002 exit
    /// (`SHARD_COMMITTEE_PERIOD`, its configuration, phase0 beacon-chain.md;
    /// `process_withdrawal_request`, Electra; mainnet: 256).
    uint64 public immutable SHARD_COMMITTEE_PERIOD;
    /// @dev `EPOCHS_PER_SLASHINGS_VECTOR / 2` (its preset; mainnet: 8192 / 2): `process_slashings`
    /// applies a slashed validator's correlation penalty at the end of the epoch
    /// `withdrawable_epoch - EPOCHS_PER_SLASHINGS_VECTOR / 2`.
    uint64 internal immutable SLASHING_PENALTY_LEAD;

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

    /// @dev An unwound position's weight and what its holders were paid of the owners' share.
    struct WindDownShare {
        uint128 weightGwei;
        uint128 paid;
    }

    // slot 0: finalize, claim and settlement touch these together. 2^96 wei and 2^64 gwei are
    // far above the ETH supply (2^87 wei).
    /// @notice ETH backing sETH that is not owed to anyone yet (wei).
    uint96 public buffer;
    /// @notice ETH owed to finalized, unclaimed requests, and during the wind-down booked to
    /// requests and not yet claimed (wei; may keep rounding dust).
    uint96 public reserved;
    /// @notice Sum of `residualOf` over all positions, in gwei (residuals are whole gwei: a
    /// withdrawal's amount less a debt of whole gwei): owed to holders, not backing.
    uint64 public residualTotalGwei;

    // slot 1: join, eject and settlement move these; finalize reads them.
    /// @notice Sum of the debt of every position not yet settled (wei).
    uint96 public totalLiveDebt;
    /// @notice Sum of the debt of positions proven exiting or whose exit the vault requested
    /// (a request the consensus layer honours): the ETH already on its way (wei).
    uint96 public exitingDebt;
    /// @notice The number of positions ever created (= the highest position id).
    uint32 public positionCount;
    /// @notice The number of positions proven slashed whose correlation penalty is still to come.
    uint32 public slashingsPending;

    // slot 2: every proof writes the epoch; marks the shortfall; a demand exit the cursor; a
    // reward the total.
    /// @notice Sum of the provisional losses recorded by proofs (wei; at most `totalLiveDebt`).
    uint96 public provisionalShortfall;
    /// @dev The demand-exit cursor; 0 stands for position 1.
    uint32 internal _demandCursor;
    /// @notice The newest epoch of a beacon state any accepted validator proof showed (at
    /// deployment: the epoch then); `WOUND_DOWN` once the wind-down started.
    uint32 public lastProofEpoch;
    /// @notice The eject rewards ever minted, in gwei (at most 0.1 ETH per position ever created:
    /// below 2^59).
    uint64 public rewardTotalGwei;

    // slot 3: the queue's heads, read together by every queue call.
    /// @notice The id of the newest redemption request (0: none yet).
    uint64 public lastRequestId;
    /// @notice The id of the newest finalized request (0: none yet).
    uint64 public lastFinalizedId;
    /// @notice The running total of all redemption requests ever made (sETH wei).
    uint96 public requestedTotal;
    /// @notice The number of finalization checkpoints (at most one per `finalize`).
    uint32 public checkpointCount;

    // slot 4: the wind-down's notice and its count of positions still to unwind.
    /// @notice When notice of the wind-down was given (unix time; 0: none).
    uint40 public windDownNoticedAt;
    /// @notice `lastProofEpoch` when the notice was given: a proof accepted since voids it.
    uint32 public windDownNoticeEpoch;
    /// @notice Sum of the unwound positions' weights (gwei of last proven residual).
    uint64 public windDownWeight;
    /// @notice Live debt at the wind-down's start not yet unwound (wei); the owners' share is
    /// paid only once it is zero.
    uint96 public debtToUnwind;

    // slot 5: the sETH's share of the wind-down.
    /// @notice The sETH outstanding when the wind-down started (supply and open requests): the
    /// claims that share what arrives, pro rata, up to par.
    uint96 public windDownSeth;
    /// @notice ETH booked to those claims so far (wei; at most `windDownSeth`).
    uint96 public windDownSethBooked;

    // slot 6 and 7: the owners' share of the wind-down.
    /// @notice Booked to the owners' share and not yet claimed (wei).
    uint96 public ownerPoolOwed;
    /// @notice Wei per gwei of weight booked to the owners' share so far, in `SHARE_UNIT`s.
    uint256 public ownerPoolPerWeight;

    // one slot per request, checkpoint, pubkey hash, residual, wind-down payment; two per
    // position (`IVault.Position`).
    mapping(uint256 requestId => Request) internal _requests;
    mapping(uint256 checkpoint => Checkpoint) internal _checkpoints;
    mapping(uint256 positionId => Position) internal _positions;
    /// @inheritdoc IVault
    mapping(bytes32 pubkeyHash => uint256 positionId) public override positionIdOf;
    /// @inheritdoc IVault
    mapping(uint256 positionId => uint256 wei_) public override residualOf;
    /// @dev Bit `i % 256` of word `i / 256` is set once withdrawal index `i` was credited.
    mapping(uint256 word => uint256 bits) internal _creditedWithdrawals;
    mapping(uint256 positionId => WindDownShare) internal _windDownShares;
    /// @dev What each wind-down request was paid of its pro-rata share so far (wei).
    mapping(uint256 requestId => uint256 paid) internal _windDownPaid;

    /// @notice The attestation verifier given is the zero address.
    error AttestationVerifierZero();
    /// @notice The anchor lists no fork version.
    error ForkVersionsEmpty();
    /// @notice `MAX_VALIDATORS` must be at least 1 and below 2^32 (32-bit position ids).
    error MaxValidatorsOutOfRange(uint256 maxValidators);
    /// @notice `EXIT_RESEND_BLOCKS` must not be zero.
    error ExitResendBlocksZero();
    /// @notice `MIN_REDEEM` must not be zero.
    error MinRedeemZero();
    /// @notice The withdrawal verifier has no code or another genesis or fork set than the anchor.
    error ProofVerifierMismatch(address proofVerifier);
    /// @notice `WIND_DOWN_DELAY` is below `MIN_WIND_DOWN_DELAY`.
    error WindDownDelayTooShort(uint256 delay, uint256 minimum);
    /// @notice The queue's running total would exceed 2^96 - 1 wei.
    error QueueTotalOverflow();
    /// @notice A beacon-chain timing parameter is zero, or `EPOCHS_PER_SLASHINGS_VECTOR` is odd.
    error ChainTimingInvalid();

    /// @notice The beacon chain's timing, from its configuration and preset: what the vault needs
    /// to turn a time into an epoch and to tell when the consensus layer acts.
    struct ChainTiming {
        /// `SECONDS_PER_SLOT`.
        uint64 secondsPerSlot;
        /// `SLOTS_PER_EPOCH`.
        uint64 slotsPerEpoch;
        /// `SHARD_COMMITTEE_PERIOD`.
        uint64 shardCommitteePeriod;
        /// `EPOCHS_PER_SLASHINGS_VECTOR`.
        uint64 epochsPerSlashingsVector;
    }

    /// @dev Checks and fixes every parameter and creates the sETH and positions tokens; `Vault`'s
    /// constructor documents the parameters.
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
    ) {
        if (address(verifier) == address(0)) revert AttestationVerifierZero();
        if (anchor.forkVersions == bytes32(0)) revert ForkVersionsEmpty();
        if (maxValidators == 0 || maxValidators > type(uint32).max) revert MaxValidatorsOutOfRange(maxValidators);
        if (exitResendBlocks == 0) revert ExitResendBlocksZero();
        if (minRedeem == 0) revert MinRedeemZero();
        if (
            address(proofVerifier).code.length == 0 || proofVerifier.GENESIS_TIME() != anchor.genesisTime
                || proofVerifier.GENESIS_VALIDATORS_ROOT() != anchor.genesisValidatorsRoot
                || proofVerifier.FORK_VERSIONS() != anchor.forkVersions
        ) revert ProofVerifierMismatch(address(proofVerifier));
        if (windDownDelay < MIN_WIND_DOWN_DELAY) revert WindDownDelayTooShort(windDownDelay, MIN_WIND_DOWN_DELAY);
        if (
            timing.secondsPerSlot == 0 || timing.slotsPerEpoch == 0 || timing.shardCommitteePeriod == 0
                || timing.epochsPerSlashingsVector == 0 || timing.epochsPerSlashingsVector % 2 != 0
        ) revert ChainTimingInvalid();
        SECONDS_PER_SLOT = timing.secondsPerSlot;
        SLOTS_PER_EPOCH = timing.slotsPerEpoch;
        SHARD_COMMITTEE_PERIOD = timing.shardCommitteePeriod;
        SLASHING_PENALTY_LEAD = timing.epochsPerSlashingsVector / 2;
        WIND_DOWN_DELAY = windDownDelay;
        // Silence is counted from deployment, not from genesis: a vault deployed long after
        // genesis must not be open to a wind-down before its first join.
        if (block.timestamp > anchor.genesisTime) {
            lastProofEpoch = uint32((block.timestamp - anchor.genesisTime) / (timing.secondsPerSlot * timing.slotsPerEpoch));
        }
        PROOF_VERIFIER = proofVerifier;
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

    /// @inheritdoc IVault
    function outstanding() public view override returns (uint256) {
        // Minted: MINT per position, the eject rewards; only finalization ends a claim.
        uint256 minted = uint256(positionCount) * MINT + uint256(rewardTotalGwei) * 1 gwei;
        return minted - _requests[lastFinalizedId].cumulative;
    }

    // ---- helpers of more than one phase -------------------------------------------------------

    /// @dev The debt of a live position: `MINT` plus the eject reward paid for it.
    function _debt(Position storage pos) internal view returns (uint256) {
        return MINT + uint256(pos.rewardGwei) * 1 gwei;
    }

    /// @dev Whether the wind-down has started.
    function _windingDown() internal view returns (bool) {
        return lastProofEpoch == WOUND_DOWN;
    }

    /// @dev The holder of position `positionId`, who alone may claim what it is owed, and where
    /// the payment goes: `recipient`, or the holder if that is zero.
    function _holderPaying(uint256 positionId, address recipient) internal view returns (address holder, address to) {
        holder = POSITIONS.ownerOf(positionId);
        if (msg.sender != holder) revert NotPositionOwner(positionId, holder);
        to = recipient == address(0) ? holder : recipient;
    }

    /// @dev Position `positionId`, which must be `Active` (`activeOnly`) or live (`Active` or
    /// `Exiting`).
    function _positionIn(uint256 positionId, bool activeOnly) internal view returns (Position storage pos) {
        pos = _positions[positionId];
        Status status = pos.status;
        if (status != Status.Active && (activeOnly || status != Status.Exiting)) {
            revert InvalidPositionStatus(positionId, status);
        }
    }

    /// @dev Verifies a proof of `pos`'s validator against the 4788 root for `timestamp`, checks the
    /// proven key is the one registered as `positionId` and that the state is no older than the
    /// newest recorded, then records its slot and, before the withdrawable epoch, its balance.
    function _prove(uint256 positionId, Position storage pos, uint256 timestamp, bytes calldata proof)
        internal
        returns (ValidatorProofs.Proven memory p)
    {
        p = PROOF_VERIFIER.verifyValidator(proof, pos.validatorIndex, timestamp);
        uint256 proven = _positionIdOf(p);
        if (proven != positionId) revert WrongPosition(positionId, proven);
        uint64 last = pos.lastProofSlot;
        if (p.slot < last) revert StaleProof(p.slot, last);
        _noteProof(p.slot);
        pos.lastProofSlot = uint40(p.slot); // a real slot: 2^40 slots are 400,000 years
        // From the withdrawable epoch on, a balance may be one the sweep has emptied: it says
        // nothing of what the position will return.
        if (p.hasBalance && !_withdrawable(p)) pos.lastBalanceGwei = _capped(p.balance);
    }

    /// @dev Whether the proven state is at or past the validator's withdrawable epoch, from when
    /// the sweep may have paid its balance to the vault (`is_fully_withdrawable_validator`,
    /// Electra): its balance then says nothing about a loss.
    function _withdrawable(ValidatorProofs.Proven memory p) internal view returns (bool) {
        return p.slot / SLOTS_PER_EPOCH >= p.withdrawableEpoch;
    }

    /// @dev Records that a validator proof of state `slot` was accepted: `lastProofEpoch` keeps
    /// the newest epoch seen (which voids a standing notice of the wind-down). Reverts with
    /// `WindingDown` once the wind-down started: from then on the vault takes no proof (a late
    /// one must not reopen what the wind-down divides).
    function _noteProof(uint64 slot) internal {
        uint256 last = lastProofEpoch;
        if (last == WOUND_DOWN) revert WindingDown();
        uint256 epoch = slot / SLOTS_PER_EPOCH;
        if (epoch > last) lastProofEpoch = uint32(epoch); // below 2^32 - 1 for 52,000 years
    }

    /// @dev A proven balance as `Position.lastBalanceGwei` stores it.
    function _capped(uint64 balanceGwei) internal pure returns (uint48) {
        return balanceGwei > type(uint48).max ? type(uint48).max : uint48(balanceGwei);
    }

    /// @dev The proven validator's 48-byte key.
    function _pubkey(ValidatorProofs.Proven memory p) internal pure returns (bytes memory) {
        return abi.encodePacked(p.pubkeyHead, p.pubkeyTail);
    }

    /// @dev Reverts with `ExitRequestTooSoon` if a request was sent less than `EXIT_RESEND_BLOCKS` ago.
    function _checkResend(uint256 positionId, Position storage pos) internal view {
        if (_recentlyRequested(pos)) {
            uint256 last = pos.lastExitRequestBlock;
            revert ExitRequestTooSoon(positionId, last, last + EXIT_RESEND_BLOCKS);
        }
    }

    /// @dev Whether an exit request was sent for `pos` less than `EXIT_RESEND_BLOCKS` blocks ago.
    function _recentlyRequested(Position storage pos) internal view returns (bool) {
        uint256 last = pos.lastExitRequestBlock;
        return last != 0 && block.number < last + EXIT_RESEND_BLOCKS;
    }

    /// @dev Records the request's block and sends the EIP-7002 full exit for `pubkey`, paying
    /// exactly the fee read (at most `min(maxFee, msg.value)`) out of `msg.value`; refunds the
    /// rest to the caller, last.
    function _sendExitRequest(
        uint256 positionId,
        Position storage pos,
        bytes memory pubkey,
        uint256 maxFee,
        uint256 exiting
    ) internal {
        pos.lastExitRequestBlock = uint40(block.number);
        uint256 cap = maxFee < msg.value ? maxFee : msg.value;
        uint256 fee = WithdrawalRequests.request(pubkey, WithdrawalRequests.FULL_EXIT, cap);
        emit ExitRequested(positionId, msg.sender, fee, exiting);
        uint256 refund = msg.value - fee;
        if (refund != 0) _sendEth(msg.sender, refund);
    }

    /// @dev The position of the proven validator's key (0: it never joined).
    function _positionIdOf(ValidatorProofs.Proven memory p) internal view returns (uint256) {
        return positionIdOf[keccak256(abi.encodePacked(p.pubkeyHead, p.pubkeyTail))];
    }

    /// @dev Sends `amount` wei to `to`, last in every function that pays; reverts the whole call
    /// with `EthTransferFailed` if `to` refuses it.
    function _sendEth(address to, uint256 amount) internal {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert EthTransferFailed(to, amount);
    }
}
