// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title IDepositContract
/// @notice The beacon-chain deposit contract's interface, as consensus clients and deposit tools
/// see it (consensus-specs phase0 `deposit-contract.md`): the same function names, selectors and
/// event as the contract deployed on mainnet, plus named errors for every refusal.
interface IDepositContract {
    /// @notice A deposit was accepted. Consensus clients read this log (EIP-6110 deposit requests);
    /// its layout is part of the protocol and must not change.
    /// @param pubkey The validator's BLS12-381 public key (48 bytes).
    /// @param withdrawal_credentials The withdrawal credentials (32 bytes).
    /// @param amount The amount in gwei, little-endian uint64 (8 bytes).
    /// @param signature The BLS signature over the deposit message (96 bytes).
    /// @param index The deposit's index in the tree, little-endian uint64 (8 bytes).
    event DepositEvent(bytes pubkey, bytes withdrawal_credentials, bytes amount, bytes signature, bytes index);

    /// @notice The public key is not 48 bytes long.
    error InvalidPubkeyLength(uint256 length);
    /// @notice The withdrawal credentials are not 32 bytes long.
    error InvalidWithdrawalCredentialsLength(uint256 length);
    /// @notice The signature is not 96 bytes long.
    error InvalidSignatureLength(uint256 length);
    /// @notice The deposit is below the 1 ether minimum.
    error DepositValueTooLow(uint256 value);
    /// @notice The deposit is not a whole number of gwei.
    error DepositValueNotMultipleOfGwei(uint256 value);
    /// @notice The deposit in gwei does not fit in a uint64.
    error DepositValueTooHigh(uint256 value);
    /// @notice The deposit data root sent does not match the one computed from the data.
    /// @param computed hash_tree_root(DepositData) of the data sent.
    /// @param given The `deposit_data_root` argument.
    error DepositDataRootMismatch(bytes32 computed, bytes32 given);
    /// @notice The tree holds 2^32 - 1 deposits, its maximum.
    error DepositTreeFull();
    /// @notice A call to the SHA-256 precompile (address 0x02) failed: out of gas.
    error Sha256Failed();

    /// @notice Deposits `msg.value` for the validator `pubkey`.
    /// @dev Reverts unless the lengths are 48/32/96 bytes, `msg.value` is at least 1 ether and a
    /// whole number of gwei, and `deposit_data_root` equals the SSZ hash_tree_root of
    /// DepositData{pubkey, withdrawal_credentials, amount = msg.value / 1 gwei, signature}.
    /// The BLS signature is not checked here: the consensus layer checks it.
    /// @param pubkey The validator's BLS12-381 public key (48 bytes).
    /// @param withdrawal_credentials The withdrawal credentials (32 bytes).
    /// @param signature The BLS signature over the deposit message (96 bytes).
    /// @param deposit_data_root hash_tree_root(DepositData), a check against malformed input.
    function deposit(
        bytes calldata pubkey,
        bytes calldata withdrawal_credentials,
        bytes calldata signature,
        bytes32 deposit_data_root
    ) external payable;

    /// @notice The root of the deposit tree with the deposit count mixed in.
    /// @return The root: sha256(tree_root ‖ little-endian uint64 count ‖ 0^24).
    function get_deposit_root() external view returns (bytes32);

    /// @notice The number of deposits so far.
    /// @return The count as a little-endian uint64 (8 bytes).
    function get_deposit_count() external view returns (bytes memory);
}
