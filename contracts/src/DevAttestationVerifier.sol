// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IAttestationVerifier} from "./interfaces/IAttestationVerifier.sol";
import {Secp256k1} from "./lib/Secp256k1.sol";

/// @title DevAttestationVerifier
/// @notice DEVELOPMENT STAND-IN, NOT HARDWARE-BACKED. It accepts any key-generation binding
/// signed by one fixed secp256k1 key, `ATTESTER`. Whoever holds that key can mint sETH against
/// any validator with the vault's credentials, whatever software runs it: it proves nothing about
/// an enclave and rules out no slashing. For devnets and tests only; a production vault is
/// deployed with a hardware verifier (SGX DCAP) behind the same interface.
/// @dev Evidence is 65 bytes `r ‖ s ‖ v`: a plain ECDSA signature over the 32-byte binding itself
/// (no EIP-191 prefix, no EIP-712 domain: the binding already commits to chain id, genesis
/// validators root and policy), accepted by `Secp256k1.recover`'s rule (low `s`, EIP-2; `v` 27
/// or 28), so every accepted signature has exactly one encoding.
contract DevAttestationVerifier is IAttestationVerifier {
    /// @notice The attester address is zero (`ecrecover` returns zero for invalid signatures).
    error ZeroAttester();

    /// @notice The address of the development attestation key, fixed at deployment.
    address public immutable ATTESTER;

    /// @notice Deploys a verifier that accepts signatures of `attester`.
    /// @param attester The development attestation key's address; not zero.
    constructor(address attester) {
        if (attester == address(0)) revert ZeroAttester();
        ATTESTER = attester;
    }

    /// @inheritdoc IAttestationVerifier
    /// @dev False for evidence of another length, high `s`, `v` outside {27, 28}, a signature that
    /// recovers to no key, or one that recovers to another key.
    function verifyKeyGeneration(bytes32 binding, bytes calldata evidence) external view override returns (bool) {
        address signer = Secp256k1.recover(binding, evidence);
        return signer != address(0) && signer == ATTESTER;
    }
}
