// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IDeviceVerifier} from "./interfaces/IDeviceVerifier.sol";
import {Secp256k1} from "./lib/Secp256k1.sol";

/// @title DeviceRegistry
/// @notice The register-once device verifier of a multi-device key (`GroupAttestationVerifier`):
/// each device's hardware evidence is verified once, when it registers a secp256k1 *device
/// key* that its signer P made and sealed inside the enclave; at every join after that, the
/// device's evidence is that key's signature over its share binding, a few thousand gas instead
/// of a DCAP quote (~2.1–2.5M). No owner, no setters, no upgrade: the inner verifier and the
/// registration lifetime are fixed at deployment.
/// @dev Registration: `register(deviceKey, evidence)` passes `evidence` to `INNER.verifyDevice`
/// (`DcapDeviceVerifier` in production, `DevDeviceVerifier` on devnets) over
/// `registrationBinding(deviceKey)` =
/// `sha256(REGISTRATION_TAG ‖ chain id 32 ‖ this registry 20 ‖ deviceKey 20)`, so the evidence
/// is an enclave's statement that it holds `deviceKey`, for this registry on this chain; the
/// platform the inner verifier proves (for DCAP the PCK certificate's PPID) is stored with the
/// registration time. Anyone may submit a registration: the evidence, not the sender, is what
/// counts.
///
/// Per join: `verifyDevice(binding, evidence)` takes `evidence` = 65 bytes `r ‖ s ‖ v` (low `s`,
/// EIP-2; `v` 27 or 28), secp256k1 ECDSA by the device key over
/// `signatureDigest(binding)` = `sha256(SIGNATURE_TAG ‖ binding)` (no EIP-191 prefix: the
/// device key signs nothing else, and the tag keeps its signatures apart from any other use of
/// secp256k1), and answers `(true, platform)` while the key's registration is live.
///
/// Revocation and TCB recovery: a registration lives `LIFETIME` seconds from the block that
/// recorded it; the device registers again, before or after it expires (a renewal verifies the
/// evidence anew and restarts the lifetime), and its quote is then verified against the
/// collateral current at that block: a platform Intel has since moved out of the accepted TCB
/// statuses (a TCB recovery, a revoked PCK certificate) is refused then. So `LIFETIME` bounds how
/// long a registered device outlives a revocation; a per-join quote (`DcapDeviceVerifier`
/// directly) bounds it by the join itself, at ~2.5M gas per device. Puffer's RAVe-based
/// `EnclaveVerifier` likewise registers an enclave key once, with a freshness window on the
/// evidence and an administrator who can withdraw trusted certificates; Automata's on-chain
/// PCCS keeps collateral current in storage that updaters replace, and a quote is judged against
/// it at each verification. This registry has no administrator: expiry is the only revocation.
/// Evidence refused at registration is a revert (`EvidenceRefused`); `verifyDevice` never
/// reverts (`IDeviceVerifier`): an unregistered or expired key, a malformed or malleable
/// signature answer `(false, 0)`.
contract DeviceRegistry is IDeviceVerifier {
    /// @notice The inner verifier is the zero address, or an address without code.
    error InnerVerifierWithoutCode(address inner);
    /// @notice A registration lifetime of zero (every registration would be born expired).
    error ZeroLifetime();
    /// @notice The device key is the zero address (what `ecrecover` returns on failure).
    error ZeroDeviceKey();
    /// @notice The inner verifier refused the evidence over `binding`, or named no platform.
    error EvidenceRefused(address deviceKey, bytes32 binding);

    /// @notice A device key registered, or renewed its registration (registered again, live or
    /// expired).
    /// @param deviceKey The device key's address.
    /// @param platform The platform the inner verifier proved.
    /// @param expiresAt When the registration stops being accepted (unix seconds).
    event DeviceRegistered(address indexed deviceKey, bytes32 indexed platform, uint64 expiresAt);

    /// @notice `sha256("lsv/device-key/v1")`: tags a registration binding.
    bytes32 public constant REGISTRATION_TAG = 0x41b4e82f92e6c5087cf0bfb51032e28cd6c2a6fd2302fa0f7e619d7193d2efa8;
    /// @notice `sha256("lsv/device-signature/v1")`: tags what a device key signs.
    bytes32 public constant SIGNATURE_TAG = 0x97af8eb9da231bbbb1e7aeb676b7e8cd38d7e6a3343db0ee0977b51572977837;

    /// @notice The verifier of registration evidence (fixed at deployment).
    IDeviceVerifier public immutable INNER;
    /// @notice How long a registration is accepted, in seconds from the block that recorded it.
    uint64 public immutable LIFETIME;

    /// @dev A device key's registration: two slots (the platform is a whole word).
    struct Registration {
        bytes32 platform; // slot 0: the platform the inner verifier proved
        uint64 registeredAt; // slot 1: the block timestamp of the registration (0: never)
    }

    /// @dev Device key → its latest registration.
    mapping(address deviceKey => Registration) private _registrations;

    /// @notice Deploys a registry whose registrations `inner` verifies and which live `lifetime`
    /// seconds.
    /// @param inner The verifier of registration evidence (a contract).
    /// @param lifetime Seconds a registration is accepted (not zero).
    constructor(IDeviceVerifier inner, uint64 lifetime) {
        if (address(inner).code.length == 0) revert InnerVerifierWithoutCode(address(inner));
        if (lifetime == 0) revert ZeroLifetime();
        INNER = inner;
        LIFETIME = lifetime;
    }

    /// @notice Registers `deviceKey`: `evidence` must prove, through `INNER`, a device that
    /// attested `registrationBinding(deviceKey)`. A key already registered renews: the evidence
    /// is verified again and the lifetime restarts from this block, so a device can stay
    /// registered without a gap (its evidence judged against the collateral current at each
    /// renewal).
    /// @dev Checks (the inner verifier is a static call: it cannot reenter to change state),
    /// then effects; no interaction after.
    /// @param deviceKey The device key's address.
    /// @param evidence The device's attestation in the inner verifier's format (for
    /// `DcapDeviceVerifier`: kind ‖ `abi.encode(Evidence)`).
    /// @return platform The platform recorded.
    function register(address deviceKey, bytes calldata evidence) external returns (bytes32 platform) {
        if (deviceKey == address(0)) revert ZeroDeviceKey();
        bytes32 binding = registrationBinding(deviceKey);
        bool ok;
        try INNER.verifyDevice(binding, evidence) returns (bool accepted, bytes32 proven) {
            (ok, platform) = (accepted, proven);
        } catch {
            ok = false;
        }
        if (!ok || platform == bytes32(0)) revert EvidenceRefused(deviceKey, binding);
        // Unix seconds fit 64 bits for 584 billion years.
        uint64 now64 = uint64(block.timestamp);
        _registrations[deviceKey] = Registration({platform: platform, registeredAt: now64});
        emit DeviceRegistered(deviceKey, platform, _expiry(now64));
    }

    /// @inheritdoc IDeviceVerifier
    /// @dev `evidence` = 65 bytes `r ‖ s ‖ v` by a registered, live device key over
    /// `signatureDigest(binding)`.
    function verifyDevice(bytes32 binding, bytes calldata evidence)
        external
        view
        override
        returns (bool ok, bytes32 platform)
    {
        address deviceKey = Secp256k1.recover(signatureDigest(binding), evidence);
        if (deviceKey == address(0)) return (false, bytes32(0));
        Registration storage reg = _registrations[deviceKey];
        uint64 registeredAt = reg.registeredAt;
        if (registeredAt == 0 || block.timestamp >= uint256(registeredAt) + LIFETIME) {
            return (false, bytes32(0));
        }
        return (true, reg.platform);
    }

    /// @notice What a device's registration evidence must attest for `deviceKey`:
    /// `sha256(REGISTRATION_TAG ‖ chain id 32 ‖ this registry 20 ‖ deviceKey 20)`.
    /// @param deviceKey The device key's address.
    /// @return The registration binding.
    function registrationBinding(address deviceKey) public view returns (bytes32) {
        return sha256(abi.encodePacked(REGISTRATION_TAG, block.chainid, address(this), deviceKey));
    }

    /// @notice What a device key signs for `binding`: `sha256(SIGNATURE_TAG ‖ binding)`.
    /// @param binding The 32 bytes the device vouches for (its share binding).
    /// @return The digest the device key signs.
    function signatureDigest(bytes32 binding) public pure returns (bytes32) {
        return sha256(abi.encodePacked(SIGNATURE_TAG, binding));
    }

    /// @notice A device key's latest registration (all zero if it never registered).
    /// @param deviceKey The device key's address.
    /// @return platform The platform recorded.
    /// @return registeredAt When it registered (unix seconds; 0: never).
    /// @return expiresAt When the registration stops being accepted (0: never registered).
    function registration(address deviceKey)
        external
        view
        returns (bytes32 platform, uint64 registeredAt, uint64 expiresAt)
    {
        Registration storage reg = _registrations[deviceKey];
        registeredAt = reg.registeredAt;
        if (registeredAt == 0) return (bytes32(0), 0, 0);
        return (reg.platform, registeredAt, _expiry(registeredAt));
    }

    /// @notice Whether `deviceKey`'s registration is accepted now.
    /// @param deviceKey The device key's address.
    /// @return True if registered and not expired.
    function isLive(address deviceKey) external view returns (bool) {
        uint64 registeredAt = _registrations[deviceKey].registeredAt;
        return registeredAt != 0 && block.timestamp < uint256(registeredAt) + LIFETIME;
    }

    /// @dev `registeredAt + LIFETIME`, saturating at 2^64 − 1 (a lifetime that long never
    /// expires).
    function _expiry(uint64 registeredAt) private view returns (uint64) {
        uint256 e = uint256(registeredAt) + LIFETIME;
        return e > type(uint64).max ? type(uint64).max : uint64(e);
    }
}
