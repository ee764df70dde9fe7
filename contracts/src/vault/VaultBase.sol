// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IAttestationVerifier} from "../interfaces/IAttestationVerifier.sol";
import {IPositions} from "../interfaces/IPositions.sol";
import {ISETH} from "../interfaces/ISETH.sol";
import {IVault} from "../interfaces/IVault.sol";
import {IWithdrawalVerifier} from "../interfaces/IWithdrawalVerifier.sol";
import {Positions} from "../Positions.sol";
import {SETH} from "../SETH.sol";
import {ValidatorProofs} from "../lib/ValidatorProofs.sol";
import {WithdrawalRequests} from "../lib/WithdrawalRequests.sol";

/// @title VaultBase
abstract contract VaultBase is IVault {
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
    uint32 internal _demandCursor;
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

    /// @inheritdoc IVault
    function outstanding() public view override returns (uint256) {
        // Minted: MINT per position, EJECT_REWARD per reward; only finalization ends a claim.
        uint256 minted = uint256(positionCount) * MINT + uint256(rewardCount) * EJECT_REWARD;
        return minted - _requests[lastFinalizedId].cumulative;
    }

    /// @dev The holder of position `positionId`, who alone may claim what it is owed, and where
    /// the payment goes: `recipient`, or the holder if that is zero.
    function _holderPaying(uint256 positionId, address recipient) internal view returns (address holder, address to) {
        holder = POSITIONS.ownerOf(positionId);
        if (msg.sender != holder) revert NotPositionOwner(positionId, holder);
        to = recipient == address(0) ? holder : recipient;
    }

    // ---- internals ----------------------------------------------------------------------------

    /// @dev The debt of a live position: `MINT`, plus `EJECT_REWARD` once the reward was paid.
    function _debt(bool rewardPaid) internal pure returns (uint256) {
        return rewardPaid ? MINT + EJECT_REWARD : MINT;
    }

    /// @dev The anchor for `ValidatorProofs`, from the immutables.
    function _anchor() internal view returns (ValidatorProofs.Anchor memory) {
        return ValidatorProofs.Anchor(GENESIS_TIME, GENESIS_VALIDATORS_ROOT, FORK_VERSIONS);
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
    /// newest recorded, then records its slot and activation epoch.
    function _prove(uint256 positionId, Position storage pos, uint256 timestamp, bytes calldata proof)
        internal
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
        uint256 pending
    ) internal {
        pos.lastExitRequestBlock = uint40(block.number);
        uint256 cap = maxFee < msg.value ? maxFee : msg.value;
        uint256 fee = WithdrawalRequests.request(pubkey, WithdrawalRequests.FULL_EXIT, cap);
        emit ExitRequested(positionId, msg.sender, fee, pending);
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
