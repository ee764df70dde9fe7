// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IERC165} from "./IERC165.sol";

/// @title IERC721
/// @notice The ERC-721 non-fungible token standard (without the metadata extension); its
/// ERC-165 id is 0x80ac58cd.
interface IERC721 is IERC165 {
    /// @notice Token `id` moved from `from` to `to`; a mint has `from == address(0)`. The
    /// token's approved address, if any, is cleared by the same transfer (ERC-721).
    event Transfer(address indexed from, address indexed to, uint256 indexed id);
    /// @notice `approved` may now transfer token `id` of `owner` (zero: nobody).
    event Approval(address indexed owner, address indexed approved, uint256 indexed id);
    /// @notice `operator` may (or may no longer) transfer every token of `owner`.
    event ApprovalForAll(address indexed owner, address indexed operator, bool approved);

    /// @notice The number of tokens `owner` holds.
    /// @param owner A holder; the zero address is refused.
    /// @return The count.
    function balanceOf(address owner) external view returns (uint256);

    /// @notice The owner of token `id`; reverts if it does not exist.
    /// @param id The token.
    /// @return The owner.
    function ownerOf(uint256 id) external view returns (address);

    /// @notice Transfers token `id` from `from` to `to`, then, if `to` is a contract, requires it
    /// to answer `onERC721Received` with that function's selector.
    /// @param from The current owner.
    /// @param to The recipient.
    /// @param id The token.
    /// @param data Passed to the receiver unchanged.
    function safeTransferFrom(address from, address to, uint256 id, bytes calldata data) external;

    /// @notice `safeTransferFrom(from, to, id, "")`.
    /// @param from The current owner.
    /// @param to The recipient.
    /// @param id The token.
    function safeTransferFrom(address from, address to, uint256 id) external;

    /// @notice Transfers token `id` from `from` to `to` without asking the recipient: a contract
    /// that cannot handle ERC-721 tokens may lock it for good.
    /// @param from The current owner.
    /// @param to The recipient.
    /// @param id The token.
    function transferFrom(address from, address to, uint256 id) external;

    /// @notice Lets `approved` transfer token `id` (the zero address clears it). The caller must
    /// own the token or be an operator of its owner.
    /// @param approved The address allowed to transfer it.
    /// @param id The token.
    function approve(address approved, uint256 id) external;

    /// @notice Lets `operator` transfer (and approve) every token of the caller, or stops it.
    /// @param operator The operator.
    /// @param approved Whether it may.
    function setApprovalForAll(address operator, bool approved) external;

    /// @notice The address approved for token `id` (zero if none); reverts if it does not exist.
    /// @param id The token.
    /// @return The approved address.
    function getApproved(uint256 id) external view returns (address);

    /// @notice Whether `operator` may transfer every token of `owner`.
    /// @param owner The holder.
    /// @param operator The operator.
    /// @return True if it may.
    function isApprovedForAll(address owner, address operator) external view returns (bool);
}

/// @title IERC721Metadata
/// @notice The ERC-721 metadata extension; its ERC-165 id is 0x5b5e139f.
interface IERC721Metadata is IERC721 {
    /// @notice The collection's name.
    /// @return The name.
    function name() external view returns (string memory);

    /// @notice The collection's symbol.
    /// @return The symbol.
    function symbol() external view returns (string memory);

    /// @notice A URI for token `id`'s metadata; reverts if it does not exist.
    /// @param id The token.
    /// @return The URI (may be empty).
    function tokenURI(uint256 id) external view returns (string memory);
}

/// @title IERC721Receiver
/// @notice What a contract implements to accept ERC-721 tokens through `safeTransferFrom`.
interface IERC721Receiver {
    /// @notice Called on the recipient after a safe transfer of token `id` to it.
    /// @param operator The address that called `safeTransferFrom`.
    /// @param from The previous owner.
    /// @param id The token.
    /// @param data The data passed to `safeTransferFrom`.
    /// @return `IERC721Receiver.onERC721Received.selector` (0x150b7a02) to accept the token.
    function onERC721Received(address operator, address from, uint256 id, bytes calldata data)
        external
        returns (bytes4);
}

/// @title IPositions
/// @notice lsv positions: one ERC-721 token per validator that joined the vault, owning that
/// validator's residual (docs/DESIGN.md, "C — the contracts"). Minted only by the vault, with
/// sequential ids from 1; what a position is worth is the vault's state, keyed by the id.
interface IPositions is IERC721Metadata {
    /// @notice Only the vault may call this function.
    error OnlyVault();
    /// @notice No token `id` has been minted.
    error TokenDoesNotExist(uint256 id);
    /// @notice The zero address holds no tokens and cannot be asked about.
    error ZeroAddressQuery();
    /// @notice Tokens may not be sent or minted to `receiver` (the zero address or this contract).
    error InvalidReceiver(address receiver);
    /// @notice `from` is not the owner of the token, `owner` is.
    error WrongFrom(address from, address owner);
    /// @notice `caller` is neither the owner of token `id`, nor approved for it, nor an operator
    /// of its owner.
    error NotAuthorized(address caller, uint256 id);
    /// @notice `receiver` is a contract that did not accept the token in a safe transfer: it
    /// reverted, returned something other than the `onERC721Received` selector, or has no such
    /// function.
    error UnsafeReceiver(address receiver);

    /// @notice The vault: the only address that may mint, fixed at deployment.
    /// @return The vault's address.
    function VAULT() external view returns (address);

    /// @notice The number of tokens minted so far, which is also the highest id (ids start at 1
    /// and none is ever burned).
    /// @return The count.
    function totalMinted() external view returns (uint256);

    /// @notice Mints the next token to `to`. Vault only.
    /// @dev Reverts with `OnlyVault` for any other caller and `InvalidReceiver` for the zero
    /// address or this contract. Does not call `to` (no `onERC721Received`).
    /// @param to The recipient.
    /// @return id The new token's id: `totalMinted()` after the call.
    function mint(address to) external returns (uint256 id);
}
