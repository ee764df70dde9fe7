// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title ISETH
/// @notice sETH, lsv's staked ETH: an ERC-20 token with ERC-2612 `permit`, minted and burned only
/// by the vault that deployed it. This is the surface the vault and integrators use: ERC-20,
/// ERC-2612, the two vault-only functions, the events and every named refusal.
interface ISETH {
    /// @notice `amount` moved from `from` to `to` (ERC-20). A mint has `from == address(0)`, a
    /// burn `to == address(0)`.
    event Transfer(address indexed from, address indexed to, uint256 amount);
    /// @notice `spender` may now move `amount` of `owner`'s tokens (ERC-20). Also emitted when
    /// `transferFrom` lowers a finite allowance, so the logs alone give every allowance.
    event Approval(address indexed owner, address indexed spender, uint256 amount);

    /// @notice Only the vault may call this function.
    error OnlyVault();
    /// @notice The sender holds `balance`, less than the `needed` amount.
    error InsufficientBalance(uint256 balance, uint256 needed);
    /// @notice The spender's allowance is `allowance`, less than the `needed` amount.
    error InsufficientAllowance(uint256 allowance, uint256 needed);
    /// @notice Tokens may not be sent or minted to `receiver` (the zero address or this contract,
    /// where they could never move again).
    error InvalidReceiver(address receiver);
    /// @notice The permit's deadline has passed.
    error PermitExpired(uint256 deadline);
    /// @notice The permit signature is malformed: `v` is neither 27 nor 28, or `s` is in the
    /// upper half of the curve order (a malleated copy of a valid signature).
    error InvalidSignature();
    /// @notice The permit signature does not recover to the owner.
    error InvalidSigner();

    /// @notice The vault: the only address that may mint and burn, fixed at deployment.
    /// @return The vault's address.
    function VAULT() external view returns (address);

    /// @notice The token's name (ERC-20): "lsv staked ETH".
    /// @return The name.
    function name() external view returns (string memory);

    /// @notice The token's symbol (ERC-20): "sETH".
    /// @return The symbol.
    function symbol() external view returns (string memory);

    /// @notice The number of decimals (ERC-20): 18, as for ETH.
    /// @return 18.
    function decimals() external view returns (uint8);

    /// @notice The amount of sETH in existence (ERC-20).
    /// @return The total supply in wei.
    function totalSupply() external view returns (uint256);

    /// @notice The sETH held by `account` (ERC-20).
    /// @param account The holder.
    /// @return The balance in wei.
    function balanceOf(address account) external view returns (uint256);

    /// @notice How much of `owner`'s sETH `spender` may still move (ERC-20).
    /// @param owner The holder.
    /// @param spender The address allowed to spend.
    /// @return The allowance; `type(uint256).max` is never lowered by spending.
    function allowance(address owner, address spender) external view returns (uint256);

    /// @notice Moves `amount` of the caller's sETH to `to` (ERC-20).
    /// @dev Reverts with `InvalidReceiver` for the zero address or this contract and with
    /// `InsufficientBalance` if the caller holds less than `amount`.
    /// @param to The recipient.
    /// @param amount The amount in wei.
    /// @return True (failures revert).
    function transfer(address to, uint256 amount) external returns (bool);

    /// @notice Moves `amount` of `from`'s sETH to `to`, spending the caller's allowance (ERC-20).
    /// @dev An allowance of `type(uint256).max` is infinite and is not lowered. Reverts with
    /// `InsufficientAllowance`, `InvalidReceiver` or `InsufficientBalance`.
    /// @param from The holder.
    /// @param to The recipient.
    /// @param amount The amount in wei.
    /// @return True (failures revert).
    function transferFrom(address from, address to, uint256 amount) external returns (bool);

    /// @notice Lets `spender` move up to `amount` of the caller's sETH (ERC-20). Sets, does not
    /// add.
    /// @param spender The address allowed to spend.
    /// @param amount The allowance; `type(uint256).max` for an infinite one.
    /// @return True.
    function approve(address spender, uint256 amount) external returns (bool);

    /// @notice Sets `owner`'s allowance for `spender` to `value` with `owner`'s signature instead
    /// of a transaction from `owner` (ERC-2612). Anyone may submit it; each signature works once.
    /// @dev The signed message is the EIP-712 struct `Permit(address owner,address spender,
    /// uint256 value,uint256 nonce,uint256 deadline)` under `DOMAIN_SEPARATOR()`, with the
    /// owner's current nonce. Reverts with `PermitExpired` after `deadline`, `InvalidSignature`
    /// for a malformed or malleable signature (`v` not 27/28, high `s`) and `InvalidSigner` if
    /// it does not recover to `owner`.
    /// @param owner The holder granting the allowance.
    /// @param spender The address allowed to spend.
    /// @param value The allowance.
    /// @param deadline The last timestamp (inclusive) at which the permit is valid.
    /// @param v Signature recovery byte, 27 or 28.
    /// @param r Signature `r`.
    /// @param s Signature `s`, in the lower half of the curve order.
    function permit(address owner, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external;

    /// @notice The nonce `owner`'s next permit must be signed with (ERC-2612).
    /// @param owner The holder.
    /// @return The number of permits `owner` has used.
    function nonces(address owner) external view returns (uint256);

    /// @notice The EIP-712 domain separator of permits for this chain (ERC-2612): name
    /// "lsv staked ETH", version "1", the current chain id and this contract's address.
    /// @return The domain separator.
    function DOMAIN_SEPARATOR() external view returns (bytes32);

    /// @notice Creates `amount` sETH for `to`. Vault only.
    /// @dev Reverts with `OnlyVault` for any other caller and `InvalidReceiver` for the zero
    /// address or this contract.
    /// @param to The recipient.
    /// @param amount The amount in wei.
    function mint(address to, uint256 amount) external;

    /// @notice Destroys `amount` of `from`'s sETH. Vault only: the vault calls it for the account
    /// that asked it to redeem (`requestRedeem` burns the caller's own sETH), and for no other.
    /// @dev Reverts with `OnlyVault` for any other caller and `InsufficientBalance` if `from`
    /// holds less.
    /// @param from The account whose sETH is burned.
    /// @param amount The amount in wei.
    function burnFrom(address from, uint256 amount) external;
}
