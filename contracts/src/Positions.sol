// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IERC165} from "./interfaces/IERC165.sol";
import {IERC721, IERC721Metadata, IERC721Receiver, IPositions} from "./interfaces/IPositions.sol";

/// @title Positions
/// @notice lsv positions, "lsv position" / "LSVP": an ERC-721 token per validator that joined the
/// vault, owning that validator's residual. The vault that deploys it is the only minter; ids are
/// sequential from 1. No owner, no pause, no upgrade, no burn.
/// @dev No burn, on purpose: when a validator's position is settled the vault pays its owner and
/// marks the id closed in its own state. The token stays as the record of who held it, and the
/// vault makes no call here at settlement. `tokenURI` returns an empty string for every token
/// (ERC-721 allows it): a position's value is the vault's state, read from the vault by id, and
/// an immutable contract has no way to fix a renderer later.
contract Positions is IPositions {
    /// @inheritdoc IERC721Metadata
    string public constant override name = "lsv position";
    /// @inheritdoc IERC721Metadata
    string public constant override symbol = "LSVP";

    /// @inheritdoc IPositions
    address public immutable override VAULT;

    /// @inheritdoc IPositions
    uint256 public override totalMinted;
    /// @dev Token id -> owner; zero for an id never minted.
    mapping(uint256 id => address) private _owners;
    /// @dev Holder -> number of tokens held.
    mapping(address owner => uint256) private _balances;
    /// @dev Token id -> approved address; cleared by every transfer.
    mapping(uint256 id => address) private _approvals;
    /// @inheritdoc IERC721
    mapping(address owner => mapping(address operator => bool)) public override isApprovedForAll;

    /// @notice Deploys the positions token with the caller as its vault: the vault creates it in
    /// its own constructor.
    constructor() {
        VAULT = msg.sender;
    }

    // ---- ERC-165 and metadata -----------------------------------------------------------------

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure override returns (bool) {
        return interfaceId == type(IERC165).interfaceId || interfaceId == type(IERC721).interfaceId
            || interfaceId == type(IERC721Metadata).interfaceId;
    }

    /// @inheritdoc IERC721Metadata
    /// @dev Always the empty string for a minted token (see the contract's notes).
    function tokenURI(uint256 id) external view override returns (string memory) {
        _ownerOf(id);
        return "";
    }

    // ---- ERC-721 reads ------------------------------------------------------------------------

    /// @inheritdoc IERC721
    function balanceOf(address owner) external view override returns (uint256) {
        if (owner == address(0)) revert ZeroAddressQuery();
        return _balances[owner];
    }

    /// @inheritdoc IERC721
    function ownerOf(uint256 id) external view override returns (address) {
        return _ownerOf(id);
    }

    /// @inheritdoc IERC721
    function getApproved(uint256 id) external view override returns (address) {
        _ownerOf(id);
        return _approvals[id];
    }

    // ---- ERC-721 writes -----------------------------------------------------------------------

    /// @inheritdoc IERC721
    function approve(address approved, uint256 id) external override {
        address owner = _ownerOf(id);
        if (msg.sender != owner && !isApprovedForAll[owner][msg.sender]) revert NotAuthorized(msg.sender, id);
        _approvals[id] = approved;
        emit Approval(owner, approved, id);
    }

    /// @inheritdoc IERC721
    function setApprovalForAll(address operator, bool approved) external override {
        isApprovedForAll[msg.sender][operator] = approved;
        emit ApprovalForAll(msg.sender, operator, approved);
    }

    /// @inheritdoc IERC721
    function transferFrom(address from, address to, uint256 id) external override {
        _transfer(from, to, id);
    }

    /// @inheritdoc IERC721
    function safeTransferFrom(address from, address to, uint256 id) external override {
        _transfer(from, to, id);
        _checkReceiver(from, to, id, "");
    }

    /// @inheritdoc IERC721
    function safeTransferFrom(address from, address to, uint256 id, bytes calldata data) external override {
        _transfer(from, to, id);
        _checkReceiver(from, to, id, data);
    }

    // ---- the vault ----------------------------------------------------------------------------

    /// @inheritdoc IPositions
    /// @dev A plain mint, not a safe one: the vault mints inside `join`, and calling out to the
    /// recipient there would hand control to an arbitrary contract in the middle of the vault's
    /// accounting. The owner is the one bound in the validator's attestation, chosen by the
    /// operator, who can move the token on with `safeTransferFrom` if they wish.
    function mint(address to) external override returns (uint256 id) {
        if (msg.sender != VAULT) revert OnlyVault();
        if (to == address(0) || to == address(this)) revert InvalidReceiver(to);
        unchecked {
            id = totalMinted + 1; // one per validator: never near 2^256
            _balances[to] += 1; // at most totalMinted
        }
        totalMinted = id;
        _owners[id] = to;
        emit Transfer(address(0), to, id);
    }

    // ---- internals ----------------------------------------------------------------------------

    /// @dev The owner of `id`, or `TokenDoesNotExist`.
    function _ownerOf(uint256 id) private view returns (address owner) {
        owner = _owners[id];
        if (owner == address(0)) revert TokenDoesNotExist(id);
    }

    /// @dev Moves `id` from `from` to `to` if the caller may, clearing its approval.
    function _transfer(address from, address to, uint256 id) private {
        address owner = _ownerOf(id);
        if (from != owner) revert WrongFrom(from, owner);
        if (msg.sender != owner && msg.sender != _approvals[id] && !isApprovedForAll[owner][msg.sender]) {
            revert NotAuthorized(msg.sender, id);
        }
        if (to == address(0) || to == address(this)) revert InvalidReceiver(to);
        delete _approvals[id];
        unchecked {
            _balances[from] -= 1; // from owns id
            _balances[to] += 1; // at most totalMinted
        }
        _owners[id] = to;
        emit Transfer(from, to, id);
    }

    /// @dev After a safe transfer: if `to` has code, it must answer `onERC721Received` with the
    /// selector, as a full 32-byte word (selector, then zeros). Any other outcome reverts the
    /// whole transfer with `UnsafeReceiver`. The state is already updated (checks-effects-
    /// interactions): a receiver re-entering sees the transfer done. Only 32 bytes of its answer
    /// are copied, whatever it returns.
    function _checkReceiver(address from, address to, uint256 id, bytes memory data) private {
        if (to.code.length == 0) return;
        bytes memory callData = abi.encodeCall(IERC721Receiver.onERC721Received, (msg.sender, from, id, data));
        bool ok;
        bytes32 answer;
        assembly ("memory-safe") {
            ok := call(gas(), to, 0, add(callData, 0x20), mload(callData), 0x00, 0x20)
            ok := and(ok, gt(returndatasize(), 0x1f))
            answer := mload(0x00)
        }
        if (!ok || answer != bytes32(IERC721Receiver.onERC721Received.selector)) revert UnsafeReceiver(to);
    }
}
