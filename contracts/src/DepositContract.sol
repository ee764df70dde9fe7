// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IDepositContract} from "./interfaces/IDepositContract.sol";
import {IERC165} from "./interfaces/IERC165.sol";

/// @title DepositContract
/// @notice The beacon-chain deposit contract for lsv's test chains. It behaves like the one on
/// mainnet (consensus-specs phase0 `deposit-contract.md`, `solidity_deposit_contract`): same
/// functions, selectors, event and checks, the same incremental Merkle tree of depth 32, the same
/// roots. Refusals are named errors instead of revert strings.
/// @dev No constructor and no immutables, so the runtime code can be placed at a genesis address
/// as is. Zero-subtree hashes are recomputed in `get_deposit_root` instead of being stored.
contract DepositContract is IDepositContract, IERC165 {
    /// @dev DEPOSIT_CONTRACT_TREE_DEPTH (phase0).
    uint256 private constant TREE_DEPTH = 32;
    /// @dev A full tree of depth 32 minus one, as on mainnet: the count must fit a uint32.
    uint256 private constant MAX_DEPOSIT_COUNT = 2 ** TREE_DEPTH - 1;
    uint256 private constant PUBKEY_LENGTH = 48;
    uint256 private constant CREDENTIALS_LENGTH = 32;
    uint256 private constant SIGNATURE_LENGTH = 96;
    /// @dev The SHA-256 precompile (Frontier).
    uint256 private constant SHA256_PRECOMPILE = 0x02;

    /// @dev `_branch[h]`: the root of the last complete left subtree of height h on the path of
    /// the next leaf; only meaningful where bit h of the count is set.
    bytes32[TREE_DEPTH] private _branch;
    uint256 private _depositCount;

    /// @inheritdoc IDepositContract
    function deposit(
        bytes calldata pubkey,
        bytes calldata withdrawal_credentials,
        bytes calldata signature,
        bytes32 deposit_data_root
    ) external payable override {
        if (pubkey.length != PUBKEY_LENGTH) revert InvalidPubkeyLength(pubkey.length);
        if (withdrawal_credentials.length != CREDENTIALS_LENGTH) {
            revert InvalidWithdrawalCredentialsLength(withdrawal_credentials.length);
        }
        if (signature.length != SIGNATURE_LENGTH) revert InvalidSignatureLength(signature.length);
        if (msg.value < 1 ether) revert DepositValueTooLow(msg.value);
        if (msg.value % 1 gwei != 0) revert DepositValueNotMultipleOfGwei(msg.value);
        uint256 amountGwei = msg.value / 1 gwei;
        if (amountGwei > type(uint64).max) revert DepositValueTooHigh(msg.value);

        bytes32 node = _depositDataRoot(pubkey, withdrawal_credentials, uint64(amountGwei), signature);
        if (node != deposit_data_root) revert DepositDataRootMismatch(node, deposit_data_root);

        uint256 count = _depositCount;
        if (count >= MAX_DEPOSIT_COUNT) revert DepositTreeFull();

        emit DepositEvent(
            pubkey,
            withdrawal_credentials,
            abi.encodePacked(_toLittleEndian64(uint64(amountGwei))),
            signature,
            abi.encodePacked(_toLittleEndian64(uint64(count)))
        );

        // Insert the leaf: walk up from it. Where bit `height` of the new count is clear, the
        // leaf completed a subtree whose left half is `_branch[height]`: hash and go on. Store the
        // node at the lowest set bit. A count in [1, 2^32 - 1] has one, so the loop returns.
        count += 1;
        _depositCount = count;
        uint256 size = count;
        for (uint256 height; height < TREE_DEPTH; ++height) {
            if (size & 1 == 1) {
                _branch[height] = node;
                return;
            }
            node = _sha256Pair(_branch[height], node);
            size >>= 1;
        }
        revert DepositTreeFull();
    }

    /// @inheritdoc IDepositContract
    function get_deposit_root() external view override returns (bytes32) {
        uint256 count = _depositCount;
        uint256 size = count;
        bytes32 node;
        bytes32 zero; // root of an all-zero subtree of the current height
        for (uint256 height; height < TREE_DEPTH; ++height) {
            if (size & 1 == 1) {
                node = _sha256Pair(_branch[height], node);
            } else {
                node = _sha256Pair(node, zero);
            }
            zero = _sha256Pair(zero, zero);
            size >>= 1;
        }
        // mix_in_length: the count as a little-endian uint64 in a 32-byte chunk.
        return _sha256Pair(node, bytes32(_toLittleEndian64(uint64(count))));
    }

    /// @inheritdoc IDepositContract
    function get_deposit_count() external view override returns (bytes memory) {
        return abi.encodePacked(_toLittleEndian64(uint64(_depositCount)));
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure override returns (bool) {
        return interfaceId == type(IERC165).interfaceId || interfaceId == type(IDepositContract).interfaceId;
    }

    /// @dev hash_tree_root(DepositData{pubkey, withdrawal_credentials, amount, signature}):
    /// four fields, so two levels of pairs over the field roots. pubkey (48 bytes) is two chunks,
    /// signature (96 bytes) three chunks padded to four; amount is a uint64 in one chunk.
    function _depositDataRoot(
        bytes calldata pubkey,
        bytes calldata withdrawalCredentials,
        uint64 amountGwei,
        bytes calldata signature
    ) private view returns (bytes32) {
        bool ok;
        bytes32 pubkeyRoot;
        bytes32 signatureLeft;
        bytes32 signatureRight;
        // Scratch space only (0x00-0x3f): each hash is over 64 bytes.
        assembly ("memory-safe") {
            // sha256(pubkey ‖ 0^16)
            mstore(0x20, 0)
            calldatacopy(0x00, pubkey.offset, 48)
            ok := staticcall(gas(), SHA256_PRECOMPILE, 0x00, 0x40, 0x00, 0x20)
            pubkeyRoot := mload(0x00)
            // sha256(signature[0:64])
            calldatacopy(0x00, signature.offset, 0x40)
            ok := and(ok, staticcall(gas(), SHA256_PRECOMPILE, 0x00, 0x40, 0x00, 0x20))
            signatureLeft := mload(0x00)
            // sha256(signature[64:96] ‖ 0^32)
            calldatacopy(0x00, add(signature.offset, 0x40), 0x20)
            mstore(0x20, 0)
            ok := and(ok, staticcall(gas(), SHA256_PRECOMPILE, 0x00, 0x40, 0x00, 0x20))
            signatureRight := mload(0x00)
        }
        if (!ok) revert Sha256Failed();
        bytes32 signatureRoot = _sha256Pair(signatureLeft, signatureRight);
        return _sha256Pair(
            _sha256Pair(pubkeyRoot, bytes32(withdrawalCredentials)),
            _sha256Pair(bytes32(_toLittleEndian64(amountGwei)), signatureRoot)
        );
    }

    /// @dev sha256(a ‖ b) through the precompile, in scratch space.
    function _sha256Pair(bytes32 a, bytes32 b) private view returns (bytes32 digest) {
        bool ok;
        assembly ("memory-safe") {
            mstore(0x00, a)
            mstore(0x20, b)
            ok := staticcall(gas(), SHA256_PRECOMPILE, 0x00, 0x40, 0x00, 0x20)
            digest := mload(0x00)
        }
        if (!ok) revert Sha256Failed();
    }

    /// @dev The 8 bytes of `value` in little-endian order (SSZ uint64).
    function _toLittleEndian64(uint64 value) private pure returns (bytes8) {
        // Swap adjacent bytes, then adjacent 2-byte pairs, then the two 4-byte halves.
        value = ((value & 0xFF00FF00FF00FF00) >> 8) | ((value & 0x00FF00FF00FF00FF) << 8);
        value = ((value & 0xFFFF0000FFFF0000) >> 16) | ((value & 0x0000FFFF0000FFFF) << 16);
        value = (value >> 32) | (value << 32);
        return bytes8(value);
    }
}
