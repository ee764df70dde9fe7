// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IDeviceVerifier} from "./interfaces/IDeviceVerifier.sol";
import {Secp256k1} from "./lib/Secp256k1.sol";

/// @title DevDeviceVerifier
/// @notice DEVELOPMENT STAND-IN, NOT HARDWARE-BACKED. Each device is a secp256k1 attester key
/// from a set fixed at deployment, and its "platform" is that key's address: it proves nothing
/// about hardware, nor that two keys are on two machines. For devnets and tests of multi-device
/// keys; a production deployment uses a hardware device verifier behind the same interface.
/// @dev Evidence is 65 bytes `r ‖ s ‖ v` over the binding itself, accepted by
/// `Secp256k1.recover`'s rule (low `s`, EIP-2; `v` 27 or 28): the encoding
/// `DevAttestationVerifier` takes.
contract DevDeviceVerifier is IDeviceVerifier {
    /// @notice No attester given, or the zero address among them.
    error InvalidAttester(address attester);

    /// @notice Whether an address is one of the trusted dev attesters (set at deployment).
    mapping(address attester => bool) public isAttester;

    /// @notice Deploys a verifier trusting `attesters`, one per dev device.
    /// @param attesters The dev devices' attester addresses; none zero, at least one.
    constructor(address[] memory attesters) {
        if (attesters.length == 0) revert InvalidAttester(address(0));
        for (uint256 i = 0; i < attesters.length; ++i) {
            if (attesters[i] == address(0)) revert InvalidAttester(address(0));
            isAttester[attesters[i]] = true;
        }
    }

    /// @inheritdoc IDeviceVerifier
    function verifyDevice(bytes32 binding, bytes calldata evidence)
        external
        view
        override
        returns (bool ok, bytes32 platform)
    {
        address signer = Secp256k1.recover(binding, evidence);
        if (signer == address(0) || !isAttester[signer]) return (false, bytes32(0));
        return (true, bytes32(uint256(uint160(signer))));
    }
}
